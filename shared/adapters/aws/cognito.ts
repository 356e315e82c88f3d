import { AwsJsonClient } from './protocols';
import type { AwsClientOptions } from './signed-http';

/** Cognito user pools' AdminGetUser (JSON 1.1), the one call the admin function makes. */
export class CognitoClient {
  private readonly json: AwsJsonClient;

  constructor(options: AwsClientOptions = {}) {
    this.json = new AwsJsonClient(
      {
        signingName: 'cognito-idp',
        endpointVariable: 'COGNITO_IDENTITY_PROVIDER',
        endpointPrefix: 'cognito-idp',
        target: 'AWSCognitoIdentityProviderService',
        version: '1.1',
      },
      options,
    );
  }

  async adminGetUser(input: { UserPoolId: string; Username: string }) {
    return this.json.call<{ Username?: string; UserAttributes?: Array<{ Name?: string; Value?: string }> }>('AdminGetUser', input);
  }
}
