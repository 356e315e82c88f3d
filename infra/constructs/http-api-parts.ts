import { RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { LoyaltyFunction } from './loyalty-function';

/** The parts the operators' and the customers' HTTP APIs share. */

/** The default stage's access logs, kept a year: who called which route, how it ended, how long it took. */
export function logAccess(scope: Construct, id: string, api: apigw.HttpApi, principalFields: Record<string, string>): apigw.CfnStage {
  const accessLogs = new logs.LogGroup(scope, id, { retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.RETAIN });
  const stage = api.defaultStage!.node.defaultChild as apigw.CfnStage;
  stage.accessLogSettings = {
    destinationArn: accessLogs.logGroupArn,
    format: JSON.stringify({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      ...principalFields,
      routeKey: '$context.routeKey',
      status: '$context.status',
      latency: '$context.responseLatency',
    }),
  };
  return stage;
}

/** Routes the topology's route keys (`METHOD /path/{param}`) to a function. */
export function routeToFunction(api: apigw.HttpApi, name: string, fn: LoyaltyFunction, routeKeys: readonly string[]) {
  const integration = new HttpLambdaIntegration(`${name}Integration`, fn.fn);
  for (const routeKey of routeKeys) {
    const [method, routePath] = routeKey.split(' ') as [string, string];
    api.addRoutes({ path: routePath, methods: [method as apigw.HttpMethod], integration });
  }
}
