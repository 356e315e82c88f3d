import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/**
 * The customers' identities, a pool of their own beside the operators': its username is the customer's loyalty id,
 * which the customers' API reads from the access token, so a signed-in customer can read their own data and no one
 * else's. No self sign-up: a self-chosen username could be another customer's loyalty id, so every account is created
 * for a known customer (AdminCreateUser with the loyalty id as the username, the invitation sent by email). Customers
 * sign in with their email (an alias) or their id; strong passwords, optional TOTP, threat protection. One public app
 * client for the loyalty app: no secret, SRP sign-in, refresh tokens; the username cannot be changed by the customer.
 */
export class CustomerIdentity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly appClient: cognito.UserPoolClient;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: 'hi-vis-customers',
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      // The username is the loyalty id exactly as the table keys it: no two ids may sign in as one another.
      signInCaseSensitive: true,
      autoVerify: { email: true },
      keepOriginal: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(7),
      },
      mfa: cognito.Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      userInvitation: {
        emailSubject: 'Your Hi-Vis Loyalty account',
        emailBody: 'Welcome to Hi-Vis Loyalty. Sign in to the app with this email address and the temporary password {####} ({username}).',
      },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'Customers may enrol a TOTP second factor; it is not required of shoppers reading their points (threat protection blocks risky sign-ins).',
    });

    this.appClient = this.userPool.addClient('AppClient', {
      userPoolClientName: 'loyalty-app',
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      readAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, emailVerified: true, fullname: true }),
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true, fullname: true }),
      accessTokenValidity: Duration.minutes(60),
      idTokenValidity: Duration.minutes(60),
      refreshTokenValidity: Duration.days(30),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
  }

  /** The `iss` of the pool's tokens. */
  get issuer(): string {
    return this.userPool.userPoolProviderUrl;
  }

  /** API Gateway's JWT authorizer on this pool: access tokens of the loyalty app's client only. */
  authorizer(): HttpUserPoolAuthorizer {
    return new HttpUserPoolAuthorizer('Customers', this.userPool, {
      userPoolClients: [this.appClient],
      userPoolRegion: Stack.of(this).region,
    });
  }
}
