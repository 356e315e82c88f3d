import { CfnOutput } from 'aws-cdk-lib';
import type { IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import { ArchitecturePart } from './architecture-part';
import { logAccess, routeToFunction } from './http-api-parts';
import type { LoyaltyFunction } from './loyalty-function';

export interface AdminHttpApiProps {
  /** Verifies the operators' access tokens on every route (the function then checks each route's role). */
  authorizer: IHttpRouteAuthorizer;
}

/** The operators' HTTP API: every route behind the JWT authorizer of the operators' user pool, with access logs kept a year. */
export class AdminHttpApi extends ArchitecturePart {
  readonly httpApi: apigw.HttpApi;

  constructor(scope: Construct, id: string, props: AdminHttpApiProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'AdminApi', {
      description: 'Hi-Vis loyalty admin API (Cognito JWT-authorised)',
      defaultAuthorizer: props.authorizer,
      createDefaultStage: true,
    });

    logAccess(this, 'AdminApiAccessLogs', this.httpApi, {
      principal: '$context.authorizer.claims.sub',
      client: '$context.authorizer.claims.client_id',
    });
    new CfnOutput(this, 'AdminApiUrl', {
      value: this.httpApi.apiEndpoint,
      description: 'Admin API: send an operator access token as Authorization: Bearer <token>',
    });
  }

  /** Routes the topology's route keys (`METHOD /path/{param}`) to a function. */
  addRoutes(name: string, fn: LoyaltyFunction, routeKeys: readonly string[]) {
    routeToFunction(this.httpApi, name, fn, routeKeys);
  }
}
