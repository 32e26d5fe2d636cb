/**
 * Layers with hand-written forward and backward passes, in the llm.c style, plus {@link dev.canopy.nn.Parameter},
 * {@link dev.canopy.nn.Init} and the counter-based {@link dev.canopy.nn.CounterRng}.
 *
 * <p>Every layer follows the conventions of {@link dev.canopy.nn.Layer}: row-major float[] from index 0, the caller
 * supplies output arrays, forward returns a small {@code Saved} record, backward overwrites input gradients and adds
 * into parameter gradients. A pre-norm transformer MLP block, x → x + W2·gelu(W1·ln(x)), reads like this
 * (rows = batch × tokens, buffers allocated once by the caller):
 *
 * <pre>{@code
 * // forward
 * LayerNorm.Saved s1 = ln.forward(rows, x, h0);          // h0 [rows, d]
 * Linear.Saved    s2 = fc1.forward(rows, h0, h1);        // h1 [rows, 4d]
 * Gelu.Saved      s3 = gelu.forward(rows * 4 * d, h1, h2);
 * Linear.Saved    s4 = fc2.forward(rows, h2, h3);        // h3 [rows, d]
 * residual.forward(rows * d, x, h3, y);                  // y = x + h3
 *
 * // backward, given dy [rows, d]
 * fc2.backward(s4, dy, dh2);                             // the branch sees dy unchanged
 * gelu.backward(s3, dh2, dh1);
 * fc1.backward(s2, dh1, dh0);
 * ln.backward(s1, dh0, dx);                              // gradient through the branch...
 * residual.backwardAccumulate(rows * d, dy, dx);         // ...plus the skip path
 * }</pre>
 */
package dev.canopy.nn;
