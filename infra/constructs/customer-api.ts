import { CfnOutput, Duration, Validations } from 'aws-cdk-lib';
import type { IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ArchitecturePart } from './architecture-part';
import { logAccess, routeToFunction } from './http-api-parts';
import type { LoyaltyFunction } from './loyalty-function';

export interface CustomerHttpApiProps {
  /** Verifies the customers' access tokens on every route. */
  authorizer: IHttpRouteAuthorizer;
  /** Origins of the loyalty web app allowed to call the API from a browser (CORS); none when empty. */
  appOrigins: string[];
}

/** Requests a second the customers' API takes, and in a burst: a public API must not exhaust the account's Lambda concurrency. */
export const CUSTOMER_API_THROTTLE = { rateLimit: 50, burstLimit: 100 };

/**
 * The customers' HTTP API, apart from the operators': its own JWT authorizer (the customers' pool), its own CORS and
 * throttling, its own access logs; and the secret its history cursors are signed with.
 */
export class CustomerHttpApi extends ArchitecturePart {
  readonly httpApi: apigw.HttpApi;
  readonly cursorKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: CustomerHttpApiProps) {
    super(scope, id);
    this.httpApi = new apigw.HttpApi(this, 'CustomerApi', {
      description: 'Hi-Vis loyalty customer API (Cognito JWT-authorised, customers pool)',
      defaultAuthorizer: props.authorizer,
      createDefaultStage: true,
      corsPreflight:
        props.appOrigins.length > 0
          ? {
              allowOrigins: props.appOrigins,
              allowMethods: [apigw.CorsHttpMethod.GET],
              allowHeaders: ['authorization'],
              maxAge: Duration.minutes(10),
            }
          : undefined,
    });
    const stage = logAccess(this, 'CustomerApiAccessLogs', this.httpApi, { principal: '$context.authorizer.claims.sub' });
    stage.defaultRouteSettings = {
      throttlingRateLimit: CUSTOMER_API_THROTTLE.rateLimit,
      throttlingBurstLimit: CUSTOMER_API_THROTTLE.burstLimit,
    };

    this.cursorKey = new secretsmanager.Secret(this, 'CustomerCursorKey', {
      description: "Signs the customers' history cursors; changing it only invalidates the cursors given out before",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(this.cursorKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'A cursor-signing key protects no stored data; changing it by hand only ends the pagination cursors given out before.',
    });

    new CfnOutput(this, 'CustomerApiUrl', {
      value: this.httpApi.apiEndpoint,
      description: "Customer API: send a customer's access token (the loyalty-app client) as Authorization: Bearer <token>",
    });
  }

  /** Routes the topology's route keys (`METHOD /path/{param}`) to a function. */
  addRoutes(name: string, fn: LoyaltyFunction, routeKeys: readonly string[]) {
    routeToFunction(this.httpApi, name, fn, routeKeys);
  }
}
