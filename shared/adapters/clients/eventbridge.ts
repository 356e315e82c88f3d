import { EventBridgeClient } from '../aws/eventbridge';

export const eventBridgeClient = new EventBridgeClient();
