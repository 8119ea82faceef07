/**
 * The one place the engine imports TensorFlow.js from: `import { tf } from '../tf'`.
 *
 * Importing through here guarantees our BatchMatMul gradient (see gradients.ts) is registered before
 * any training step runs, in the app's worker and in Node tests alike.
 */
import * as tf from '@tensorflow/tfjs';
import { registerMatMulGradient } from './gradients';

registerMatMulGradient();

export { tf };
export type Tensor = tf.Tensor;
export type Variable = tf.Variable;
