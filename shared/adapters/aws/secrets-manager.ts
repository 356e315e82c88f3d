import { AwsJsonClient } from './protocols';
import type { AwsClientOptions } from './signed-http';

/** The Secrets Manager operations the functions use (JSON 1.1). */
export class SecretsManagerClient {
  private readonly json: AwsJsonClient;

  constructor(options: AwsClientOptions = {}) {
    this.json = new AwsJsonClient(
      {
        signingName: 'secretsmanager',
        endpointVariable: 'SECRETS_MANAGER',
        endpointPrefix: 'secretsmanager',
        target: 'secretsmanager',
        version: '1.1',
      },
      options,
    );
  }

  async getSecretValue(input: { SecretId: string; VersionStage?: string }) {
    return this.json.call<{ ARN?: string; Name?: string; VersionId?: string; SecretString?: string }>('GetSecretValue', input);
  }

  async describeSecret(input: { SecretId: string }) {
    return this.json.call<{ ARN?: string; Name?: string }>('DescribeSecret', input);
  }
}
