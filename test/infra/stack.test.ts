import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HiVisLoyaltyStack, type HiVisStackProps } from '../../infra/hi-vis-stack';
import { stackPropsFromContext } from '../../infra/stack-context';
import { environmentFor } from '../../local/function-environment';
import { ADMIN_ROUTES, CUSTOMER_ROUTES, FUNCTIONS, QUEUES } from '../../shared/topology';

let template: Template;

beforeAll(() => {
  const app = new App({ context: { bucketName: 'hi-vis-moma-data', momaQueueName: 'hi-vis-notifications' } });
  const stack = new HiVisLoyaltyStack(app, 'HiVisLoyalty', { bucketName: 'hi-vis-moma-data', momaQueueName: 'hi-vis-notifications' });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // Synthesis runs the cdk-nag validation and throws on any unacknowledged finding.
  app.synth();
  template = Template.fromStack(stack);
}, 120_000);

/** The variables naming resources that a function of the template is given. */
const variablesOf = (name: string) => {
  const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(`${name}Function`))!;
  return Object.keys(fn.Properties.Environment.Variables)
    .filter((v) => v !== 'NODE_OPTIONS' && v !== 'POWERTOOLS_SERVICE_NAME')
    .sort();
};

const policies = () =>
  Object.values(template.findResources('AWS::IAM::Policy')) as {
    Properties: { PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } };
  }[];

describe('HiVisLoyalty stack', () => {
  test('every event source mapping (SQS and stream) reports batch item failures', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    const triggers = Object.values(FUNCTIONS).filter((f) => f.trigger.type === 'sqs' || f.trigger.type === 'stream');
    expect(mappings).toHaveLength(triggers.length);
    for (const mapping of mappings) expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
  });

  test("the stats function reads the table stream through the topology's filter", () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      StartingPosition: 'TRIM_HORIZON',
      FilterCriteria: {
        Filters: [{ Pattern: JSON.stringify(FUNCTIONS.stats.trigger.type === 'stream' && FUNCTIONS.stats.trigger.filters[0]) }],
      },
    });
  });

  test('stream records a function gives up on go to an on-failure queue, not nowhere', () => {
    const streamMappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter(
      (m) => m.Properties.StartingPosition,
    );
    expect(streamMappings).toHaveLength(2);
    for (const mapping of streamMappings) expect(mapping.Properties.DestinationConfig.OnFailure.Destination).toBeDefined();
  });

  test("every admin route requires a token of the operators' user pool (JWT authorizer), and every route of the topology exists", () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([...ADMIN_ROUTES, ...CUSTOMER_ROUTES].sort());
    const authorizers = template.findResources('AWS::ApiGatewayV2::Authorizer');
    expect(Object.keys(authorizers)).toHaveLength(2);
    const adminApiId = Object.keys(template.findResources('AWS::ApiGatewayV2::Api')).find((id) => id.startsWith('AdminApi'));
    const [authorizerId, authorizer] = Object.entries(authorizers).find(([, a]) => a.Properties.ApiId.Ref === adminApiId)!;
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'JWT', IdentitySource: ['$request.header.Authorization'] });
    expect(authorizer.Properties.JwtConfiguration.Audience).toHaveLength(2);
    for (const route of routes.filter((r) => r.Properties.RouteKey.includes(' /admin/'))) {
      expect(route.Properties.AuthorizationType).toBe('JWT');
      expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
    }
  });

  test("the customers' routes are on an HTTP API of their own, behind a JWT authorizer of the customers' pool and its app client only", () => {
    const apis = Object.entries(template.findResources('AWS::ApiGatewayV2::Api'));
    expect(apis).toHaveLength(2);
    const [customerApiId] = apis.find(([id]) => id.startsWith('CustomerApi'))!;
    const [authorizerId, authorizer] = Object.entries(template.findResources('AWS::ApiGatewayV2::Authorizer')).find(
      ([, a]) => a.Properties.ApiId.Ref === customerApiId,
    )!;
    const [poolId] = Object.entries(template.findResources('AWS::Cognito::UserPool')).find(
      ([, p]) => p.Properties.UserPoolName === 'hi-vis-customers',
    )!;
    const [clientId] = Object.entries(template.findResources('AWS::Cognito::UserPoolClient')).find(
      ([, c]) => c.Properties.ClientName === 'loyalty-app',
    )!;
    expect(authorizer.Properties.ApiId).toEqual({ Ref: customerApiId });
    expect(authorizer.Properties.JwtConfiguration.Audience).toEqual([{ Ref: clientId }]);
    expect(JSON.stringify(authorizer.Properties.JwtConfiguration.Issuer)).toContain(JSON.stringify({ Ref: poolId }));
    const customerRoutes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).filter((r) =>
      r.Properties.RouteKey.includes(' /customer/'),
    );
    expect(customerRoutes.map((r) => r.Properties.RouteKey).sort()).toEqual([...CUSTOMER_ROUTES].sort());
    for (const route of customerRoutes)
      expect(route.Properties).toMatchObject({
        ApiId: { Ref: customerApiId },
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: { Ref: customerApiId },
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  test("the customers' pool: no self sign-up, the loyalty id as username (email an alias), strong passwords, threat protection; a public SRP client", () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolName: 'hi-vis-customers',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      AliasAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: true },
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      DeletionProtection: 'ACTIVE',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true, RequireNumbers: true }) },
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'loyalty-app',
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthFlowsUserPoolClient: false,
    });
  });

  test('the customer function may only read the table (GetItem, Query) and its own cursor key', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('customerApiRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const actions = [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
    expect(actions).toEqual([
      'dynamodb:GetItem',
      'dynamodb:Query',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:GetSecretValue',
    ]);
    const secretRead = statements.find((s) => [s.Action].flat().includes('secretsmanager:GetSecretValue'))!;
    expect(JSON.stringify(secretRead.Resource)).toContain('CustomerCursorKey');
    expect(variablesOf('customerApi')).toEqual([
      'CAMPAIGN_CACHE_SECONDS',
      'CUSTOMER_APP_CLIENT_ID',
      'CUSTOMER_CURSOR_KEY_SECRET_ID',
      'CUSTOMER_POOL_ISSUER',
      'TABLE_NAME',
    ]);
  });

  test("the operators' user pool: invited only, MFA (TOTP) required, a strong password, threat protection, deletion protection", () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UsernameAttributes: ['email'],
      DeletionProtection: 'ACTIVE',
      UserPoolTier: 'PLUS',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 14, RequireSymbols: true, RequireNumbers: true }) },
    });
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    expect(groups.sort()).toEqual(['admins', 'viewers']);
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'admin',
      Scopes: [Match.objectLike({ ScopeName: 'read' }), Match.objectLike({ ScopeName: 'write' })],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'console',
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AccessTokenValidity: 15,
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'operations-scripts',
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: Match.arrayWith([{ 'Fn::Join': Match.anyValue() }]),
    });
  });

  test('the audit table may only be put to and queried: no function may update or delete an entry', () => {
    const [auditId] = Object.entries(template.findResources('AWS::DynamoDB::Table'))
      .filter(([, t]) => !t.Properties.StreamSpecification)
      .map(([logicalId]) => logicalId);
    expect(auditId).toBeDefined();
    const touching = policies()
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((s) => JSON.stringify(s.Resource).includes(auditId!));
    const actions = new Set(touching.flatMap((s) => [s.Action].flat()));
    expect([...actions].sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
  });

  test('the admin function can switch exactly the sync sources: the two ingest mappings and the reconcile rule', () => {
    const statements = policies().flatMap((p) => p.Properties.PolicyDocument.Statement);
    const lambdaControl = statements.filter((s) => [s.Action].flat().includes('lambda:UpdateEventSourceMapping'));
    const ruleControl = statements.filter((s) => [s.Action].flat().includes('events:DisableRule'));
    expect(lambdaControl).toHaveLength(2);
    expect(ruleControl).toHaveLength(1);
  });

  test('the Moma bucket is encrypted, versioned, private, TLS-only, and notifies the file-events queue for both prefixes', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'hi-vis-moma-data',
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
    const notifications = template.findResources('Custom::S3BucketNotifications');
    const config = Object.values(notifications)[0]!.Properties.NotificationConfiguration;
    const prefixes = config.QueueConfigurations.map(
      (q: { Filter: { Key: { FilterRules: { Value: string }[] } } }) => q.Filter.Key.FilterRules[0]!.Value,
    );
    expect(prefixes.sort()).toEqual(['imports/', 'transactions/']);
  });

  test('queues are encrypted and redrive to a 14-day dead-letter queue after 5 receives', () => {
    const queues = Object.values(template.findResources('AWS::SQS::Queue'));
    // Two queues, their two DLQs, and the stream mappings' on-failure queue.
    expect(queues).toHaveLength(5);
    for (const queue of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const main = queues.filter((q) => q.Properties.RedrivePolicy);
    expect(main).toHaveLength(2);
    for (const queue of main) expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(QUEUES.moma.maxReceiveCount);
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'hi-vis-notifications-dlq', MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  test('the table is on demand, encrypted, point-in-time recoverable, streamed, with its three indexes', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'GSI1' }),
        Match.objectLike({ IndexName: 'GSI2' }),
        Match.objectLike({ IndexName: 'GSI3' }),
      ],
    });
  });

  test('the achievements topic is encrypted', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'Hi-Vis loyalty achievements', KmsMasterKeyId: Match.anyValue() });
  });

  test('functions run Node.js 22 on arm64 with their topology memory and timeout', () => {
    for (const spec of Object.values(FUNCTIONS)) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        MemorySize: spec.memoryMb,
        Timeout: spec.timeoutSeconds,
        Description: spec.description,
      });
    }
  });

  test('reconcile runs every 5 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
  });

  test('no IAM policy grants a wildcard action or a "*" resource', () => {
    expect(policies().length).toBeGreaterThan(0);
    for (const policy of policies()) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
        // The one exception is cloudwatch:GetMetricData, which has no resource-level permissions.
        if ([statement.Action].flat().includes('cloudwatch:GetMetricData')) continue;
        for (const resource of [statement.Resource].flat()) expect(resource).not.toBe('*');
      }
    }
  });

  test('alarms watch dead letters, oldest message age and function errors', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties.MetricName);
    expect(alarms.filter((m) => m === 'ApproximateNumberOfMessagesVisible')).toHaveLength(3);
    expect(alarms.filter((m) => m === 'ApproximateAgeOfOldestMessage')).toHaveLength(2);
    expect(alarms.filter((m) => m === 'Errors')).toHaveLength(Object.keys(FUNCTIONS).length);
  });

  test('the card pepper is a generated secret that functions read by ARN', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ PasswordLength: 64 }) });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CARD_PEPPER_SECRET_ID: Match.anyValue() }) },
    });
  });

  test('stateful resources keep the logical ids they were deployed with, so the split into parts replaces none of them', () => {
    const ids = (type: string) => Object.keys(template.findResources(type)).sort();
    expect(ids('AWS::DynamoDB::Table')).toEqual(['Audit3D8ADE0A', 'Loyalty5E0BF725']);
    expect(ids('AWS::S3::Bucket')).toEqual(['AccessLogs8B620ECA', 'ConsoleAssetsDE45C380', 'MomaData7037E24E', 'TrailLogs3B05809D']);
    expect(ids('AWS::SecretsManager::Secret').filter((id) => id.startsWith('CardPepper'))).toEqual(['CardPepperA70DA52E']);
    expect(ids('AWS::SQS::Queue')).toEqual([
      'FileEventsDeadLetters8BC6B3A5',
      'FileEventsQueue8A860E67',
      'MomaSalesDeadLetters5A6EB30D',
      'MomaSalesQueueA35FBE72',
      'StreamFailuresE6D4F770',
    ]);
    expect(ids('AWS::Lambda::EventSourceMapping')).toEqual([
      'ingestFileTrigger7278D5C7',
      'ingestMessageTriggerF9FFB50F',
      'notifyTrigger8899E2E4',
      'statsTriggerE3F04870',
    ]);
  });

  test('each function is given the variables of what it uses, and nothing else', () => {
    expect(variablesOf('reconcile')).toEqual(['BUCKET_NAME', 'FILE_EVENTS_QUEUE_URL', 'TABLE_NAME']);
    expect(variablesOf('stats')).toEqual(['TABLE_NAME']);
    expect(variablesOf('notify')).toEqual(['ACHIEVEMENTS_TOPIC_ARN', 'TABLE_NAME']);
    expect(variablesOf('ingestMessage')).toEqual(['CAMPAIGN_CACHE_SECONDS', 'CARD_PEPPER_SECRET_ID', 'TABLE_NAME']);
    expect(variablesOf('ingestFile')).toEqual([
      'BUCKET_NAME',
      'CAMPAIGN_CACHE_SECONDS',
      'CARD_PEPPER_SECRET_ID',
      'FILE_EVENTS_QUEUE_URL',
      'TABLE_NAME',
    ]);
    expect(variablesOf('adminApi')).toEqual([
      'ACHIEVEMENTS_TOPIC_ARN',
      'AUDIT_TABLE_NAME',
      'BUCKET_NAME',
      'CAMPAIGN_CACHE_SECONDS',
      'CARD_PEPPER_SECRET_ID',
      'FILE_EVENTS_DLQ_URL',
      'FILE_EVENTS_QUEUE_URL',
      'MOMA_DLQ_URL',
      'MOMA_QUEUE_URL',
      'OPERATOR_POOL_ID',
      'QUEUE_AGE_METRICS',
      'SYNC_TARGETS',
      'TABLE_NAME',
    ]);
  });

  test('only the functions that use the card pepper may read it: reconcile may not', () => {
    const readers = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).some(
          (s) => [s.Action].flat().includes('secretsmanager:GetSecretValue') && JSON.stringify(s.Resource).includes('CardPepper'),
        ),
      )
      .map(([id]) => id.replace(/RoleDefaultPolicy.*$/, ''))
      .sort();
    expect(readers).toEqual(['adminApi', 'ingestFile', 'ingestMessage']);
  });

  test('the local stack names what each function uses as the stack does, with files for the secret and the topic', () => {
    const local = {
      tableName: 't',
      bucket: 'b',
      queues: { fileEvents: { url: 'f', dlqUrl: 'fd' }, moma: { url: 'm', dlqUrl: 'md' } },
      pepperFile: 'p',
      notificationSinkFile: 'n',
      syncTargets: {},
      auditTableName: 'a',
      userPoolId: 'u',
      customerTokens: { issuer: 'i', appClientId: 'c' },
      customerCursorKeyFile: 'k',
    };
    const cloudName: Record<string, string> = {
      CARD_PEPPER_FILE: 'CARD_PEPPER_SECRET_ID',
      CUSTOMER_CURSOR_KEY_FILE: 'CUSTOMER_CURSOR_KEY_SECRET_ID',
      NOTIFICATION_SINK_FILE: 'ACHIEVEMENTS_TOPIC_ARN',
    };
    for (const [name, spec] of Object.entries(FUNCTIONS)) {
      const localVariables = Object.keys(environmentFor(spec.uses, local)).map((v) => cloudName[v] ?? v);
      expect(localVariables.sort()).toEqual(variablesOf(name));
    }
  });

  describe('the operator console', () => {
    const distribution = () => {
      const distributions = Object.entries(template.findResources('AWS::CloudFront::Distribution'));
      expect(distributions).toHaveLength(1);
      const [id, resource] = distributions[0]!;
      return { id, config: resource.Properties.DistributionConfig };
    };
    const apiId = () => Object.keys(template.findResources('AWS::ApiGatewayV2::Api')).find((id) => id.startsWith('AdminApi'))!;
    const consoleUrl = () => ({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution().id, 'DomainName'] }]] });

    test('is served from a private, TLS-only, encrypted bucket that only the distribution reads (origin access control)', () => {
      const [bucketId, bucket] = Object.entries(template.findResources('AWS::S3::Bucket')).find(([id]) => id.startsWith('ConsoleAssets'))!;
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Allow', Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
        OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always' }),
      });
      const { config } = distribution();
      expect(config.DefaultRootObject).toBe('index.html');
      const s3Origin = config.Origins.find((o: { Id: string }) => o.Id === config.DefaultCacheBehavior.TargetOriginId);
      expect(s3Origin.DomainName).toEqual({ 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] });
      expect(s3Origin.OriginAccessControlId).toBeDefined();
      expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    });

    test('sends /admin/* to the HTTP API over HTTPS, every method, uncached, with the viewer headers (Authorization) but not Host', () => {
      const { config } = distribution();
      const admin = config.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/admin/*');
      expect(admin).toMatchObject({
        CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
        OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac', // Managed-AllViewerExceptHostHeader
        ViewerProtocolPolicy: 'redirect-to-https',
      });
      expect([...admin.AllowedMethods].sort()).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
      const apiOrigin = config.Origins.find((o: { Id: string }) => o.Id === admin.TargetOriginId);
      expect(apiOrigin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
      expect(JSON.stringify(apiOrigin.DomainName)).toContain(JSON.stringify({ Ref: apiId() }));
      expect(JSON.stringify(apiOrigin.DomainName)).toContain('.execute-api.');
    });

    test("answers with the console's security headers: its CSP naming the sign-in origin, frame-ancestors 'none', HSTS, DENY, nosniff", () => {
      const policies = Object.entries(template.findResources('AWS::CloudFront::ResponseHeadersPolicy'));
      expect(policies).toHaveLength(1);
      const [policyId, policy] = policies[0]!;
      const headers = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
      const domainId = Object.keys(template.findResources('AWS::Cognito::UserPoolDomain'))[0]!;
      const [, parts] = headers.ContentSecurityPolicy.ContentSecurityPolicy['Fn::Join'] as [string, unknown[]];
      const names: Record<string, string> = { [domainId]: 'PREFIX', 'AWS::Region': 'REGION' };
      const csp = parts.map((p) => (typeof p === 'string' ? p : (names[(p as { Ref: string }).Ref] ?? JSON.stringify(p)))).join('');
      const signIn = 'https://PREFIX.auth.REGION.amazoncognito.com';
      expect(csp).toBe(
        `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self' ${signIn}; form-action 'self' ${signIn}; frame-ancestors 'none'; base-uri 'none'; object-src 'none'`,
      );
      expect(headers.ContentSecurityPolicy.Override).toBe(true);
      expect(headers.StrictTransportSecurity).toEqual({
        AccessControlMaxAgeSec: 63_072_000,
        IncludeSubdomains: true,
        Preload: true,
        Override: true,
      });
      expect(headers.FrameOptions).toEqual({ FrameOption: 'DENY', Override: true });
      expect(headers.ContentTypeOptions).toEqual({ Override: true });
      expect(headers.ReferrerPolicy).toEqual({ ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true });
      const { config } = distribution();
      for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors])
        expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
    });

    test("its URL is an output and the console client's sign-in callback and sign-out URL", () => {
      template.hasOutput('ConsoleUrl', { Value: consoleUrl() });
      const callback = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distribution().id, 'DomainName'] }, '/']] };
      template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        ClientName: 'console',
        CallbackURLs: Match.arrayWith([callback]),
        LogoutURLs: Match.arrayWith([callback]),
      });
    });

    test("the stack deploys the files and the console's sign-in configuration, then invalidates the distribution", () => {
      const deployments = Object.values(template.findResources('Custom::CDKBucketDeployment'));
      expect(deployments).toHaveLength(1);
      const deployment = deployments[0]!.Properties;
      expect(deployment).toMatchObject({ DistributionId: { Ref: distribution().id }, DistributionPaths: ['/*'], Prune: true });
      expect(deployment.SourceObjectKeys).toHaveLength(2);
      const markers = JSON.stringify(deployment.SourceMarkers);
      const clientId = Object.entries(template.findResources('AWS::Cognito::UserPoolClient')).find(
        ([, c]) => c.Properties.ClientName === 'console',
      )![0];
      expect(markers).toContain(JSON.stringify({ Ref: clientId }));
    });
  });
});

describe('HiVisLoyalty stack without a built console', () => {
  let outdir: string;
  let emptyDist: string;
  afterAll(() => {
    rmSync(emptyDist, { recursive: true, force: true });
    rmSync(outdir, { recursive: true, force: true });
  });

  test('synthesises (cdk-nag included) and deploys a page saying the console was not built, with the configuration', () => {
    emptyDist = mkdtempSync(join(tmpdir(), 'console-dist-'));
    outdir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
    const app = new App({ outdir });
    const stack = new HiVisLoyaltyStack(app, 'HiVisLoyalty', { consoleAssetsDirectory: emptyDist });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const deployment = Object.values(Template.fromStack(stack).findResources('Custom::CDKBucketDeployment'))[0]!.Properties;
    const staged = (deployment.SourceObjectKeys as string[]).map((key) => join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`));
    const files = staged.flatMap((dir) => readdirSync(dir).map((name) => ({ name, text: readFileSync(join(dir, name), 'utf8') })));
    expect(files.map((f) => f.name).sort()).toEqual(['console-config.json', 'index.html']);
    const page = files.find((f) => f.name === 'index.html')!.text;
    expect(page).toContain('The console was not built');
    expect(page).not.toMatch(/<script|<style|style=/i);
    const config = JSON.parse(files.find((f) => f.name === 'console-config.json')!.text);
    expect(config).toMatchObject({ environment: 'cloud', auth: { scopes: 'openid email profile' } });
    expect(Object.keys(config.auth).sort()).toEqual(['authorizeUrl', 'clientId', 'logoutUrl', 'scopes', 'tokenUrl']);
  }, 120_000);
});

describe('data protection in the stack', () => {
  const MOMA_ACCOUNT = '111122223333';
  /** A stack synthesised without bundling the functions (their code is not what these tests look at), cdk-nag included. */
  const synthesised = (props: HiVisStackProps) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HiVisLoyaltyStack(app, 'HiVisLoyalty', { consoleAssetsDirectory: tmpdir(), ...props });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    app.synth();
    return Template.fromStack(stack);
  };
  let withMoma: Template;
  beforeAll(() => {
    withMoma = synthesised({
      momaAccountId: MOMA_ACCOUNT,
      momaExternalId: 'moma-hivis-7f3a',
      momaFileRetentionDays: 730,
      tableWarmWriteUnits: 12_000,
    });
  }, 120_000);

  test('the loyalty table is pre-warmed only when asked (tableWarmWriteUnits)', () => {
    const warmOf = (t: Template) => resourceOf(t, 'AWS::DynamoDB::Table', 'Loyalty')[1].Properties.WarmThroughput;
    expect(warmOf(template)).toBeUndefined();
    expect(warmOf(withMoma)).toEqual({ WriteUnitsPerSecond: 12_000 });
  });

  const resourceOf = (t: Template, type: string, idPrefix: string) =>
    Object.entries(t.findResources(type)).find(([id]) => id.startsWith(idPrefix))!;

  test("Moma's files move to infrequent access after 30 days and expire after the retention period; old versions after 90 days", () => {
    const rulesOf = (t: Template) => resourceOf(t, 'AWS::S3::Bucket', 'MomaData')[1].Properties.LifecycleConfiguration.Rules;
    for (const [t, days] of [
      [template, 400],
      [withMoma, 730],
    ] as const) {
      expect(rulesOf(t)).toEqual(
        expect.arrayContaining([
          ...['transactions/', 'imports/'].map((prefix) =>
            expect.objectContaining({
              Prefix: prefix,
              Status: 'Enabled',
              ExpirationInDays: days,
              Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
            }),
          ),
          expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 90 }, ExpiredObjectDeleteMarker: true }),
        ]),
      );
    }
  });

  test("the MomaProducer role is assumed by Moma's account with the external id, and may only put files and send messages", () => {
    const [roleId, role] = resourceOf(withMoma, 'AWS::IAM::Role', 'MomaProducerRole');
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${MOMA_ACCOUNT}:root`]] } },
        Condition: { StringEquals: { 'sts:ExternalId': 'moma-hivis-7f3a' } },
      },
    ]);
    const statements = Object.values(withMoma.findResources('AWS::IAM::Policy'))
      .filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const bucketId = resourceOf(withMoma, 'AWS::S3::Bucket', 'MomaData')[0];
    const queueId = resourceOf(withMoma, 'AWS::SQS::Queue', 'MomaSalesQueue')[0];
    expect(statements).toEqual([
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: ['transactions/*', 'imports/*'].map((objects) => ({
          'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${objects}`]],
        })),
      },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
    ]);
    withMoma.hasOutput('MomaProducerRoleArn', { Value: { 'Fn::GetAtt': [roleId, 'Arn'] } });
  });

  test("without a Moma account, the role trusts this account alone (Moma's integration running in it)", () => {
    const [, role] = resourceOf(template, 'AWS::IAM::Role', 'MomaProducerRole');
    const [statement] = role.Properties.AssumeRolePolicyDocument.Statement;
    expect(JSON.stringify(statement.Principal)).toContain('AWS::AccountId');
  });

  test('the trail logs management events and the data events of the bucket and both tables, validated, encrypted, to a versioned bucket', () => {
    const [, trail] = resourceOf(template, 'AWS::CloudTrail::Trail', 'Trail');
    const bucketId = resourceOf(template, 'AWS::S3::Bucket', 'MomaData')[0];
    expect(trail.Properties).toMatchObject({
      EnableLogFileValidation: true,
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      IsLogging: true,
    });
    expect(trail.Properties.EventSelectors).toBeUndefined();
    const selectors = trail.Properties.AdvancedEventSelectors as { FieldSelectors: { Field: string }[] }[];
    const field = (i: number, name: string) => selectors[i]!.FieldSelectors.find((f) => f.Field === name);
    expect(field(0, 'eventCategory')).toEqual({ Field: 'eventCategory', Equals: ['Management'] });
    expect(field(1, 'resources.type')).toEqual({ Field: 'resources.type', Equals: ['AWS::S3::Object'] });
    expect(field(1, 'resources.ARN')).toEqual({
      Field: 'resources.ARN',
      StartsWith: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/']] }],
    });
    expect(field(2, 'resources.type')).toEqual({ Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] });
    expect(field(2, 'resources.ARN')).toEqual({
      Field: 'resources.ARN',
      StartsWith: [{ 'Fn::GetAtt': ['Loyalty5E0BF725', 'Arn'] }, { 'Fn::GetAtt': ['Audit3D8ADE0A', 'Arn'] }],
    });
    const [keyId, key] = resourceOf(template, 'AWS::KMS::Key', 'TrailKey');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(trail.Properties.KMSKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    const [logBucketId, logBucket] = resourceOf(template, 'AWS::S3::Bucket', 'TrailLogs');
    expect(trail.Properties.S3BucketName).toEqual({ Ref: logBucketId });
    expect(logBucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    expect(trail.Properties.CloudWatchLogsLogGroupArn).toBeDefined();
    template.hasOutput('TrailArn', Match.anyValue());
  });

  test("access to Moma's files by anyone but Moma's role and the functions that read them raises an alarm to the operators", () => {
    const [, filter] = resourceOf(template, 'AWS::Logs::MetricFilter', 'UnexpectedBucketAccess');
    const pattern = JSON.stringify(filter.Properties.FilterPattern);
    const roleId = (prefix: string) => resourceOf(template, 'AWS::IAM::Role', prefix)[0];
    for (const expected of ['MomaProducerRole', 'ingestFileRole', 'reconcileRole', 'adminApiRole'])
      expect(pattern).toContain(JSON.stringify({ Ref: roleId(expected) }));
    for (const notExpected of ['statsRole', 'notifyRole', 'ingestMessageRole']) expect(pattern).not.toContain(roleId(notExpected));
    const [, alarm] = resourceOf(template, 'AWS::CloudWatch::Alarm', 'UnexpectedBucketAccess');
    const topicId = resourceOf(template, 'AWS::SNS::Topic', 'OperatorAlarms')[0];
    expect(alarm.Properties).toMatchObject({
      MetricName: 'UnexpectedMomaBucketAccess',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: topicId }],
    });
  });

  test('functions carry no source maps unless sourceMaps is set: every exception would pay for them', () => {
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (f) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME,
    ))
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
  });

  test('trail=false leaves the trail to an organisation trail', () => {
    const withoutTrail = synthesised({ trail: false });
    expect(Object.keys(withoutTrail.findResources('AWS::CloudTrail::Trail'))).toHaveLength(0);
    expect(Object.keys(withoutTrail.toJSON().Outputs)).not.toContain('TrailArn');
  }, 120_000);
});

describe('the stack settings from CDK context', () => {
  const from = (context: Record<string, unknown>) => stackPropsFromContext((key) => context[key]);

  test('defaults: a trail, files kept 400 days, the role trusting this account', () => {
    expect(from({})).toMatchObject({
      trail: true,
      sourceMaps: false,
      momaFileRetentionDays: 400,
      momaAccountId: undefined,
      momaExternalId: undefined,
    });
  });

  test('reads -c values (strings) and cdk.json values (numbers and booleans) alike', () => {
    expect(from({ trail: 'false', momaFileRetentionDays: '30', consoleUrls: 'https://a.example/, https://b.example/' })).toMatchObject({
      trail: false,
      momaFileRetentionDays: 30,
      consoleUrls: ['https://a.example/', 'https://b.example/'],
    });
    expect(from({ trail: false, momaFileRetentionDays: 3650, momaAccountId: 111122223333, momaExternalId: 'x-1' })).toMatchObject({
      trail: false,
      momaFileRetentionDays: 3650,
      momaAccountId: '111122223333',
    });
  });

  test.each([
    [{ trail: 'yes' }, 'context trail must be true or false'],
    [{ momaFileRetentionDays: '0' }, 'context momaFileRetentionDays must be a whole number of days'],
    [{ momaFileRetentionDays: '12.5' }, 'context momaFileRetentionDays must be a whole number of days'],
    [{ momaAccountId: '1234', momaExternalId: 'abc' }, "context momaAccountId must be Moma's 12-digit AWS account id"],
    [{ momaAccountId: '111122223333' }, 'context momaExternalId is required with momaAccountId'],
    [{ momaAccountId: '111122223333', momaExternalId: 'has spaces in it' }, 'context momaExternalId must be 2 to 1224'],
    [{ bucketName: { nested: true } }, 'context bucketName must be a string'],
    [{ tableWarmWriteUnits: '100' }, 'context tableWarmWriteUnits must be a whole number of write units a second from 4000'],
    [{ tableWarmWriteUnits: 'lots' }, 'context tableWarmWriteUnits must be a whole number'],
  ])('%j is refused: %s', (context, message) => {
    expect(() => from(context)).toThrow(message);
  });
});
