package dev.canopy.peers;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.canopy.attention.AttentionShape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ONNX Runtime (CPU) running graphs of standard operators written by {@link OnnxModels}. Inputs live in direct
 * buffers that ONNX Runtime reads in place; attention over long sequences is run one (pair, query chunk) at a time
 * when the whole score tensor would exceed the memory budget, as a user of a fixed graph would do.
 */
public final class OrtPeer implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final int threads;
    private final List<AutoCloseable> owned = new ArrayList<>();

    public OrtPeer(int threads) {
        this.threads = threads;
    }

    public String version() {
        return "onnxruntime " + env.getVersion();
    }

    /** C[m, n] = A[m, k] · B[k, n] with one MatMul node. */
    public PeerOp matmul(int m, int n, int k, float[] a, float[] b) {
        OrtSession session = session(OnnxModels.matmul());
        FloatBuffer ab = direct(a), bb = direct(b);
        List<Map<String, OnnxTensor>> calls = List.of(Map.of("A", tensor(ab, 0, a.length, m, k), "B", tensor(bb, 0, b.length, k, n)));
        return new Prepared("MatMul node", session, calls, new int[] {0}, m * n);
    }

    /** Exact attention from Transpose, MatMul, Mul, Softmax, MatMul. */
    public PeerOp attention(AttentionShape s, float[] q, float[] k, float[] v, long budgetBytes) {
        s.check(q, k, v, new float[s.outSize()]);
        OrtSession session = session(OnnxModels.attention((float) (1 / Math.sqrt(s.d()))));
        FloatBuffer qb = direct(q), kb = direct(k), vb = direct(v);
        List<Map<String, OnnxTensor>> calls = new ArrayList<>();
        List<Integer> outOffsets = new ArrayList<>();
        if (4L * s.pairs() * s.nq() * s.nk() <= budgetBytes) {
            calls.add(Map.of("Q", tensor(qb, 0, q.length, s.pairs(), s.nq(), s.d()), "K", tensor(kb, 0, k.length, s.pairs(), s.nk(), s.d()),
                    "V", tensor(vb, 0, v.length, s.pairs(), s.nk(), s.dv())));
            outOffsets.add(0);
        } else {
            int chunk = (int) Math.max(1, Math.min(s.nq(), budgetBytes / (4L * s.nk())));
            for (int p = 0; p < s.pairs(); p++) {
                OnnxTensor kp = tensor(kb, p * s.nk() * s.d(), s.nk() * s.d(), 1, s.nk(), s.d());
                OnnxTensor vp = tensor(vb, p * s.nk() * s.dv(), s.nk() * s.dv(), 1, s.nk(), s.dv());
                for (int r0 = 0; r0 < s.nq(); r0 += chunk) {
                    int rows = Math.min(chunk, s.nq() - r0);
                    calls.add(Map.of("Q", tensor(qb, (p * s.nq() + r0) * s.d(), rows * s.d(), 1, rows, s.d()), "K", kp, "V", vp));
                    outOffsets.add((p * s.nq() + r0) * s.dv());
                }
            }
        }
        int[] offsets = outOffsets.stream().mapToInt(Integer::intValue).toArray();
        String how = "Transpose+MatMul+Mul+Softmax+MatMul graph, " + calls.size() + " session call(s)";
        return new Prepared(how, session, calls, offsets, s.outSize());
    }

    /**
     * Exact attention through ONNX Runtime's fused {@code com.microsoft.MultiHeadAttention} (one node). Canopy's
     * [batch, heads, n, d] inputs are laid out as the operator's [batch, n, heads * d] once, before timing; the output
     * is laid back for the agreement check.
     */
    public PeerOp fusedAttention(AttentionShape s, float[] q, float[] k, float[] v) {
        s.check(q, k, v, new float[s.outSize()]);
        if (s.d() != s.dv()) throw new IllegalArgumentException("MultiHeadAttention needs one head width for keys and values, got " + s.d() + " and " + s.dv());
        OrtSession session = session(OnnxModels.multiHeadAttention(s.heads()));
        int w = s.heads() * s.d();
        FloatBuffer qb = direct(toTokenMajor(q, s.batch(), s.heads(), s.nq(), s.d()));
        FloatBuffer kb = direct(toTokenMajor(k, s.batch(), s.heads(), s.nk(), s.d()));
        FloatBuffer vb = direct(toTokenMajor(v, s.batch(), s.heads(), s.nk(), s.d()));
        Map<String, OnnxTensor> call = Map.of("Q", tensor(qb, 0, q.length, s.batch(), s.nq(), w),
                "K", tensor(kb, 0, k.length, s.batch(), s.nk(), w), "V", tensor(vb, 0, v.length, s.batch(), s.nk(), w));
        Prepared fused = new Prepared("com.microsoft.MultiHeadAttention node (fused)", session, List.of(call), new int[] {0}, s.outSize());
        return new PeerOp() {
            @Override
            public void run() {
                fused.run();
            }

            @Override
            public float[][] outputs() {
                return new float[][] {toHeadMajor(fused.outputs()[0], s.batch(), s.heads(), s.nq(), s.d())};
            }

            @Override
            public String formulation() {
                return fused.formulation();
            }

            @Override
            public void close() {
                fused.close();
            }
        };
    }

    /** [batch, heads, n, d] -> [batch, n, heads * d]. */
    public static float[] toTokenMajor(float[] x, int batch, int heads, int n, int d) {
        return relayout(x, batch, heads, n, d, true);
    }

    /** [batch, n, heads * d] -> [batch, heads, n, d]. */
    public static float[] toHeadMajor(float[] x, int batch, int heads, int n, int d) {
        return relayout(x, batch, heads, n, d, false);
    }

    private static float[] relayout(float[] x, int batch, int heads, int n, int d, boolean toTokens) {
        float[] out = new float[x.length];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    int headMajor = ((b * heads + h) * n + i) * d, tokenMajor = ((b * n + i) * heads + h) * d;
                    System.arraycopy(x, toTokens ? headMajor : tokenMajor, out, toTokens ? tokenMajor : headMajor, d);
                }
            }
        }
        return out;
    }

    /**
     * A BERT-family ONNX model (e.g. all-MiniLM-L6-v2) on a batch of token-id sequences of one length, no padding; the
     * output is the model's first output, the last hidden state [batch, n, hidden].
     */
    public PeerOp bert(Path onnx, int[][] batch) throws IOException {
        OrtSession session = session(Files.readAllBytes(onnx));
        int n = batch[0].length;
        long[] tokens = new long[batch.length * n], ones = new long[tokens.length], zeros = new long[tokens.length];
        for (int s = 0; s < batch.length; s++) {
            if (batch[s].length != n) throw new IllegalArgumentException("ONNX Runtime BERT peer: every sequence needs " + n + " tokens, sequence " + s + " has " + batch[s].length);
            for (int i = 0; i < n; i++) {
                tokens[s * n + i] = batch[s][i];
                ones[s * n + i] = 1;
            }
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try {
            for (String name : session.getInputNames()) {
                long[] values = switch (name) {
                    case "input_ids" -> tokens;
                    case "attention_mask" -> ones;
                    case "token_type_ids" -> zeros;
                    default -> throw new IllegalArgumentException(onnx + ": unexpected model input '" + name
                            + "'; expected input_ids, attention_mask, token_type_ids");
                };
                OnnxTensor t = OnnxTensor.createTensor(env, LongBuffer.wrap(values), new long[] {batch.length, n});
                owned.add(t);
                inputs.put(name, t);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not create the BERT inputs: " + e.getMessage(), e);
        }
        return new Prepared("ONNX model " + onnx.getFileName() + ", batch " + batch.length, session, List.of(inputs), new int[] {0}, -1);
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                // closing native handles at shutdown; nothing useful to do with a failure here
            }
        }
        owned.clear();
    }

    private OrtSession session(byte[] model) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            OrtSession session = env.createSession(model, options);
            owned.add(session);
            return session;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime rejected the generated model: " + e.getMessage(), e);
        }
    }

    private static FloatBuffer direct(float[] a) {
        FloatBuffer b = ByteBuffer.allocateDirect(4 * a.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        b.put(a).flip();
        return b;
    }

    private OnnxTensor tensor(FloatBuffer buffer, int offset, int length, long... shape) {
        try {
            OnnxTensor t = OnnxTensor.createTensor(env, buffer.slice(offset, length), shape);
            owned.add(t);
            return t;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not wrap an input buffer: " + e.getMessage(), e);
        }
    }

    /** A session and its input tensors; closing it frees them (at the latest, closing the OrtPeer does). */
    private final class Prepared implements PeerOp {
        private final String formulation;
        private final OrtSession session;
        private final List<Map<String, OnnxTensor>> calls;
        private final int[] outOffsets;
        private final int outSize;

        Prepared(String formulation, OrtSession session, List<Map<String, OnnxTensor>> calls, int[] outOffsets, int outSize) {
            this.formulation = formulation;
            this.session = session;
            this.calls = calls;
            this.outOffsets = outOffsets;
            this.outSize = outSize;
        }

        @Override
        public String formulation() {
            return formulation;
        }

        @Override
        public void run() {
            for (Map<String, OnnxTensor> call : calls) {
                try (OrtSession.Result ignored = session.run(call)) {
                    // the output is produced and released; reading it back is not part of the operation
                } catch (OrtException e) {
                    throw new IllegalStateException("ONNX Runtime run failed: " + e.getMessage(), e);
                }
            }
        }

        @Override
        public float[][] outputs() {
            float[] out = outSize >= 0 ? new float[outSize] : null;
            for (int i = 0; i < calls.size(); i++) {
                try (OrtSession.Result result = session.run(calls.get(i))) {
                    FloatBuffer fb = ((OnnxTensor) result.get(0)).getFloatBuffer();
                    if (out == null) out = new float[fb.remaining()];  // size known only from the model's output
                    fb.get(out, outOffsets[i], fb.remaining());
                } catch (OrtException e) {
                    throw new IllegalStateException("ONNX Runtime run failed: " + e.getMessage(), e);
                }
            }
            return new float[][] {out};
        }

        @Override
        public void close() {
            Set<AutoCloseable> mine = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Map<String, OnnxTensor> call : calls) mine.addAll(call.values());  // chunks share K and V tensors
            mine.add(session);
            owned.removeIf(mine::contains);
            for (AutoCloseable c : mine) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing an ONNX Runtime resource failed: " + e.getMessage(), e);
                }
            }
        }
    }
}
