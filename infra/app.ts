import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HiVisLoyaltyStack } from './hi-vis-stack';
import { stackPropsFromContext } from './stack-context';

const app = new App();
new HiVisLoyaltyStack(app, 'HiVisLoyalty', {
  ...stackPropsFromContext((key) => app.node.tryGetContext(key)),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
