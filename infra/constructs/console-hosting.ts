import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { consoleConfigFor, consoleContentSecurityPolicy } from '../../shared/console-site';
import { ArchitecturePart } from './architecture-part';
import { nagResource } from './nag';

/** Where `npm run console:build` writes the built console, from the repository root. */
export const CONSOLE_DIST = join(__dirname, '..', '..', 'console', 'dist');

export interface ConsoleHostingProps {
  /** The admin API, served on the console's origin under `/admin/*`. */
  api: IHttpApi;
  /** The hosted sign-in domain: the console redirects there and calls its token endpoint. */
  authDomain: cognito.UserPoolDomain;
  /** The console's app client (authorization code with PKCE). */
  client: cognito.IUserPoolClient;
  /** The built console; when it has no index.html, a page saying the console was not built is deployed instead. */
  assetsDirectory?: string;
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Hi-Vis Loyalty console</title></head>
<body>
<h1>The console was not built</h1>
<p>This stack was deployed without the console's files. Run <code>npm run console:build</code>, then deploy again.</p>
</body>
</html>
`;

/**
 * The operator console in the cloud: its built files in a private bucket that only CloudFront reads (origin access
 * control), the admin API on the same origin under `/admin/*` (so the console needs no CORS), the console's security
 * headers on every answer, and the files and the sign-in configuration deployed by the stack.
 */
export class ConsoleHosting extends ArchitecturePart {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** The console's address, without a trailing slash. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.bucket = new s3.Bucket(this, 'ConsoleAssets', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Only build output lives here, deployed again by every deployment: nothing is lost with the bucket. The
      // deployment empties it when the stack is deleted (retainOnDelete: false), so the bucket can then be deleted.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only CloudFront reads this bucket (origin access control) and only the stack writes to it; what operators do is logged by the admin API.',
    });

    const signInOrigin = props.authDomain.baseUrl();
    const headers = new cloudfront.ResponseHeadersPolicy(this, 'ConsoleHeaders', {
      comment: "The operator console's security headers",
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy(signInOrigin), override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, preload: true, override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: true },
      },
    });

    const apiOrigin = new origins.HttpOrigin(`${props.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    this.distribution = new cloudfront.Distribution(this, 'ConsoleDistribution', {
      comment: 'Hi-Vis Loyalty operator console and its admin API',
      defaultRootObject: 'index.html',
      // No custom error responses: they would apply to /admin/* too and turn the API's 403 and 404 answers into the
      // console's page. The console routes by the URL's hash, so every page it has is served from /index.html.
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      },
      additionalBehaviors: {
        '/admin/*': {
          origin: apiOrigin,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          // With caching disabled this policy forwards the Authorization header (and no Host: API Gateway needs its own).
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: headers,
        },
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: 'Operators sign in from wherever they work; access is controlled by sign-in with MFA, not by country.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          "The console's files are static and public by design; every API call needs an operator's token, and Cognito's threat protection guards sign-in.",
      },
      {
        id: 'AwsSolutions-CFR3',
        reason: 'Each admin API call is in the API access log (kept a year); requests for the static console files need no record.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          "The distribution uses CloudFront's default certificate, whose security policy is fixed by CloudFront; a custom domain with its own certificate (and TLSv1.2_2021) is a deployment choice.",
      },
    );
    this.url = `https://${this.distribution.distributionDomainName}`;

    const built = props.assetsDirectory ?? CONSOLE_DIST;
    const sources = [
      existsSync(join(built, 'index.html')) ? s3deploy.Source.asset(built) : s3deploy.Source.data('index.html', NOT_BUILT_PAGE),
      s3deploy.Source.jsonData('console-config.json', consoleConfigFor(signInOrigin, props.client.userPoolClientId, 'cloud')),
    ];
    this.deploy(sources);
  }

  /**
   * The files, copied into the bucket by CDK's deployment function, and the cache emptied. The function's role is
   * given exactly what it does (CDK's default grants wildcard S3 actions and invalidations of every distribution):
   * read this deployment's own asset objects, sync the bucket, invalidate this distribution, write its own log.
   */
  private deploy(sources: s3deploy.ISource[]) {
    const logGroup = new logs.LogGroup(this, 'ConsoleDeploymentLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, 'ConsoleDeploymentRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the built operator console into its bucket and invalidates its distribution',
    });
    const deployment = new s3deploy.BucketDeployment(this, 'ConsoleDeployment', {
      sources,
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      // The browser asks again each time (ETag, so usually a 304) and finds a new deployment at once; CloudFront
      // keeps the files until the next deployment invalidates them.
      cacheControl: [s3deploy.CacheControl.maxAge(Duration.seconds(0)), s3deploy.CacheControl.sMaxAge(Duration.days(365))],
      retainOnDelete: false,
      role: role.withoutPolicyUpdates(),
      logGroup,
    });

    // Each source is an asset the deployment creates as its child (the CLI layer's own asset is read by Lambda, not by the function).
    const assets = deployment.node.children.filter((c): c is s3assets.Asset => c instanceof s3assets.Asset);
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: assets.map((a) => a.bucket.arnForObjects(a.s3ObjectKey)) }),
    );
    // Tags tell the function whether another deployment owns the bucket before it empties it on deletion.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketTagging'], resources: [this.bucket.bucketArn] }));
    const objects = this.bucket.arnForObjects('*');
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [objects],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation'],
        resources: [this.distribution.distributionArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${nagResource(this, objects)}]`,
      reason: "The deployment replaces the console's files, whose hashed names change with every build; it may only touch this bucket.",
    });

    // CDK's deployment function (one per stack) runs the Python runtime CDK chooses for it.
    const handler = Stack.of(this)
      .node.findAll()
      .find((c) => c instanceof lambda.Function && c.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (handler)
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-L1',
        reason: "CDK's bucket-deployment function runs the runtime CDK ships it with; it is updated with aws-cdk-lib.",
      });
  }
}
