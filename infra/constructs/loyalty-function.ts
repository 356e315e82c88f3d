import path from 'node:path';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionSpec } from '../../shared/topology';
import { functionBundleAliasArgs } from '../function-bundling';

const REPO_ROOT = path.join(__dirname, '..', '..');

export interface LoyaltyFunctionProps {
  spec: FunctionSpec;
  /**
   * Bundle source maps and turn them on (`--enable-source-maps`): readable stack traces, but every exception then
   * costs a source-map lookup, and duplicates and stale retries are exceptions. Off unless asked for.
   */
  sourceMaps?: boolean;
}

/**
 * One Lambda function from the topology: esbuild-bundled (SDK v3 included and tree-shaken, its credential chain
 * reduced to the environment: see function-bundling.ts), Node.js 22 on arm64, with a role of its own that can write
 * only to its own log group, and no environment naming a resource, until it is bound to what it uses (see bindings.ts).
 */
export class LoyaltyFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly errorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LoyaltyFunctionProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${id}: ${props.spec.description}`,
    });
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.logGroupArn}`] }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      entry: path.join(REPO_ROOT, props.spec.entry),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.spec.memoryMb,
      timeout: Duration.seconds(props.spec.timeoutSeconds),
      description: props.spec.description,
      role: this.role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...(props.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        POWERTOOLS_SERVICE_NAME: id,
      },
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      bundling: {
        format: OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: props.sourceMaps === true,
        mainFields: ['module', 'main'],
        externalModules: [],
        metafile: true,
        logLevel: LogLevel.ERROR,
        // Lambda's credentials are in the environment: the rest of the SDK's default chain stays out of the bundle.
        esbuildArgs: functionBundleAliasArgs(),
      },
    });
    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason: 'Node.js 22 is the runtime the product owner chose; the move to 24 is planned separately.',
    });

    this.errorsAlarm = new cloudwatch.Alarm(this, 'Errors', {
      alarmDescription: `${id} is failing: check its logs`,
      metric: this.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  allow(actions: string[], resources: string[]) {
    this.role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
  }

  /** Sets the variables naming a resource, with the grant that lets the function use it: never one without the other. */
  bind(variables: Record<string, string>, ...grants: { actions: string[]; resources: string[] }[]) {
    for (const [name, value] of Object.entries(variables)) this.fn.addEnvironment(name, value);
    for (const grant of grants) this.allow(grant.actions, grant.resources);
  }
}
