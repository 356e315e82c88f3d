import { CognitoClient } from '../aws/cognito';

export const cognitoClient = new CognitoClient();
