import { Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { OPERATOR_GROUPS, RESOURCE_SERVER } from '../../shared/auth/roles';

export interface OperatorIdentityProps {
  /** Where the console is served: its sign-in callback and sign-out URLs. */
  consoleUrls: string[];
  /** The Cognito domain prefix for the hosted sign-in and the token endpoint (globally unique). */
  domainPrefix: string;
}

/**
 * The operators' identities: a user pool nobody joins by themselves (an admin invites each operator), email as
 * the username, a strong password and a TOTP second factor for everyone, threat protection; the `admins` and
 * `viewers` groups; an app client for the console (no secret, authorization code with PKCE, short-lived access
 * tokens) and one for operations scripts (client credentials with the `admin/read` and `admin/write` scopes).
 */
export class OperatorIdentity extends Construct {
  readonly userPool: cognito.UserPool;
  readonly consoleClient: cognito.UserPoolClient;
  readonly opsClient: cognito.UserPoolClient;
  readonly domain: cognito.UserPoolDomain;
  private readonly consoleUrls: string[];

  constructor(scope: Construct, id: string, props: OperatorIdentityProps) {
    super(scope, id);
    this.consoleUrls = [...props.consoleUrls];
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: 'hi-vis-operators',
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 5,
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      userInvitation: {
        emailSubject: 'Your Hi-Vis Loyalty operator account',
        emailBody: 'You have been invited to the Hi-Vis Loyalty console. Sign in as {username} with the temporary password {####}.',
      },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const group of OPERATOR_GROUPS) {
      new cognito.CfnUserPoolGroup(this, `Group-${group}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: group,
        description: group === 'admins' ? 'Operators who may change data and run the sync' : 'Operators who may read data',
      });
    }
    const read = new cognito.ResourceServerScope({ scopeName: 'read', scopeDescription: 'Read the admin API' });
    const write = new cognito.ResourceServerScope({ scopeName: 'write', scopeDescription: 'Call every route of the admin API' });
    const resourceServer = this.userPool.addResourceServer('AdminApi', { identifier: RESOURCE_SERVER, scopes: [read, write] });

    this.consoleClient = this.userPool.addClient('ConsoleClient', {
      userPoolClientName: 'console',
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        // Read at synthesis: the hosted console's address is known only once its distribution exists.
        callbackUrls: Lazy.list({ produce: () => this.consoleUrls }),
        logoutUrls: Lazy.list({ produce: () => this.consoleUrls }),
      },
      accessTokenValidity: Duration.minutes(15),
      idTokenValidity: Duration.minutes(15),
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    this.opsClient = this.userPool.addClient('OpsClient', {
      userPoolClientName: 'operations-scripts',
      generateSecret: true,
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [cognito.OAuthScope.resourceServer(resourceServer, read), cognito.OAuthScope.resourceServer(resourceServer, write)],
      },
      accessTokenValidity: Duration.minutes(60),
      enableTokenRevocation: true,
      preventUserExistenceErrors: true,
    });
    this.opsClient.node.addDependency(resourceServer);
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
  }

  /** Registers another address the console is served from, as its sign-in callback and sign-out URL. */
  addConsoleUrl(url: string) {
    this.consoleUrls.push(url);
  }

  /** API Gateway's JWT authorizer on this pool: it accepts access tokens of the two app clients. */
  authorizer(): HttpUserPoolAuthorizer {
    return new HttpUserPoolAuthorizer('Operators', this.userPool, {
      userPoolClients: [this.consoleClient, this.opsClient],
      userPoolRegion: Stack.of(this).region,
    });
  }

  /** The token endpoint a script asks for a client-credentials token. */
  get tokenUrl(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }
}
