export { distributionInspect, type DistributionInspect, type DistributionOptions } from './distribution.js';
