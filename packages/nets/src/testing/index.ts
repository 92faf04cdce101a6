export {
  GaussianOracle,
  LinearNet,
  type LinearWeights,
  PointMassOracle,
  TaggedLinearNet,
  TinyNet,
} from './oracles.js';
