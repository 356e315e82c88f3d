import { CloudWatchClient } from '../aws/cloudwatch';

export const cloudWatchClient = new CloudWatchClient();
