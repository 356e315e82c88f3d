import { SecretsManagerClient } from '../aws/secrets-manager';

export const secretsManagerClient = new SecretsManagerClient();
