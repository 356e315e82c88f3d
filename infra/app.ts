import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HiVisLoyaltyStack } from './hi-vis-stack';

const app = new App();
new HiVisLoyaltyStack(app, 'HiVisLoyalty', {
  bucketName: app.node.tryGetContext('bucketName'),
  momaQueueName: app.node.tryGetContext('momaQueueName'),
  programConfig: app.node.tryGetContext('programConfig'),
  consoleUrls: app.node.tryGetContext('consoleUrls')?.split(','),
  authDomainPrefix: app.node.tryGetContext('authDomainPrefix'),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
