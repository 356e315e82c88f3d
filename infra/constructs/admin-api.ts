import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ArchitecturePart } from './architecture-part';
import type { LoyaltyFunction } from './loyalty-function';

/** The operators' HTTP API: IAM-authorised (SigV4) routes, with access logs kept a year. */
export class AdminHttpApi extends ArchitecturePart {
  readonly httpApi: apigw.HttpApi;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'AdminApi', {
      description: 'Hi-Vis loyalty admin API (IAM-authorised)',
      defaultAuthorizer: new HttpIamAuthorizer(),
      createDefaultStage: true,
    });

    const accessLogs = new logs.LogGroup(this, 'AdminApiAccessLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stage = this.httpApi.defaultStage!.node.defaultChild as apigw.CfnStage;
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        caller: '$context.identity.caller',
        user: '$context.identity.user',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
      }),
    };
    new CfnOutput(this, 'AdminApiUrl', {
      value: this.httpApi.apiEndpoint,
      description: 'Admin API: sign requests with SigV4 (service execute-api)',
    });
  }

  /** Routes the topology's route keys (`METHOD /path/{param}`) to a function. */
  addRoutes(name: string, fn: LoyaltyFunction, routeKeys: readonly string[]) {
    const integration = new HttpLambdaIntegration(`${name}Integration`, fn.fn);
    for (const routeKey of routeKeys) {
      const [method, routePath] = routeKey.split(' ') as [string, string];
      this.httpApi.addRoutes({ path: routePath, methods: [method as apigw.HttpMethod], integration });
    }
  }
}
