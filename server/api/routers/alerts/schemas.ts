// The alerts routers' inputs live with the alerts engine, which stores and reads the same shapes.
export { channelCreateInput, channelUpdateInput, historyInput, idInput, ruleCreateInput, ruleUpdateInput } from '../../../alerts/schemas.ts';
