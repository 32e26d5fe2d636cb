package dev.canopy.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionMask;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionShape;
import dev.canopy.attention.tree.KeySample;
import dev.canopy.attention.tree.TcAttention;
import dev.canopy.attention.tree.TfAttention;
import dev.canopy.nn.Pass;
import dev.canopy.kernels.Sgemm;
import dev.canopy.nn.Parameter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The two-level schedule end to end on a task where attention must find a matching key: each sequence holds every
 * one of 32 symbols once as a key, whose value is the one-hot class of the symbol (4 classes, fixed at random); each
 * query is a symbol and must output its class, which only the values carry. Model: fixed random symbol embeddings,
 * one learned projection shared by queries and keys (as in Reformer; with separate projections the shared tree routes
 * queries and keys of the dense model into unrelated leaves and this tiny TC phase barely moves), one attention head,
 * squared error on the attention output; Adam written inline.
 */
class TreeformerScheduleTest {
    static final int SYMBOLS = 32, CLASSES = 4, DM = 16, D = 8, N = 32, BATCH = 8;

    /** A minimal model: embeddings (fixed), W_q and W_k (learned). */
    static final class Model {
        final float[] emb = new float[SYMBOLS * DM];
        final int[] cls = new int[SYMBOLS];
        final Parameter wq = new Parameter("wq", true, DM, D), wk = new Parameter("wk", true, DM, D);

        Model(Random r) {
            for (int i = 0; i < emb.length; i++) emb[i] = (float) r.nextGaussian();
            for (int s = 0; s < SYMBOLS; s++) cls[s] = s % CLASSES;
            for (int i = 0; i < wq.data.length; i++) { wq.data[i] = (float) (r.nextGaussian() / Math.sqrt(DM)); wk.data[i] = (float) (r.nextGaussian() / Math.sqrt(DM)); }
        }

        float[] embed(int[] tokens) {
            float[] x = new float[tokens.length * DM];
            for (int t = 0; t < tokens.length; t++) System.arraycopy(emb, tokens[t] * DM, x, t * DM, DM);
            return x;
        }

        float[] project(float[] x, Parameter w) {
            float[] y = new float[x.length / DM * D];
            Sgemm.matmul(x.length / DM, D, DM, x, w.data, y);
            return y;
        }
    }

    record Batch(int[] queries, int[] keys) {}

    static Batch batch(Random r, int size) {
        int[] q = new int[size * N], k = new int[size * N];
        for (int b = 0; b < size; b++) {
            int[] perm = permutation(r), perm2 = permutation(r);
            System.arraycopy(perm, 0, k, b * N, N);
            System.arraycopy(perm2, 0, q, b * N, N);
        }
        return new Batch(q, k);
    }

    static int[] permutation(Random r) {
        int[] p = new int[SYMBOLS];
        for (int i = 0; i < p.length; i++) p[i] = i;
        for (int i = p.length - 1; i > 0; i--) { int j = r.nextInt(i + 1); int t = p[i]; p[i] = p[j]; p[j] = t; }
        return p;
    }

    /** Adam on a set of parameters; state is per parameter object, so new tree parameters start fresh. */
    static final class Adam {
        final Map<Parameter, float[][]> state = new IdentityHashMap<>();
        int t;

        void step(List<Parameter> params, float lr) {
            t++;
            for (Parameter p : params) {
                float[][] s = state.computeIfAbsent(p, x -> new float[][] {new float[x.size()], new float[x.size()], {0}});
                s[2][0]++;
                double c1 = 1 - Math.pow(0.9, s[2][0]), c2 = 1 - Math.pow(0.999, s[2][0]);
                for (int i = 0; i < p.size(); i++) {
                    float g = p.grad[i];
                    s[0][i] = 0.9f * s[0][i] + 0.1f * g;
                    s[1][i] = 0.999f * s[1][i] + 0.001f * g * g;
                    p.data[i] -= (float) (lr * (s[0][i] / c1) / (Math.sqrt(s[1][i] / c2) + 1e-8));
                }
                p.zeroGrad();
            }
        }
    }

    /** One training step; returns the loss. */
    static double step(Model m, Attention attention, Batch b, Adam adam, float lr, float treeLr) {
        AttentionShape s = new AttentionShape(BATCH, 1, N, N, D, CLASSES);
        float[] xq = m.embed(b.queries()), xk = m.embed(b.keys());
        float[] q = m.project(xq, m.wk), k = m.project(xk, m.wk); // shared query/key projection (as in Reformer)
        float[] v = new float[s.vSize()];
        for (int t = 0; t < BATCH * N; t++) v[t * CLASSES + m.cls[b.keys()[t]]] = 1f;
        float[] out = new float[s.outSize()];
        Attention.Saved saved = attention.forward(s, q, k, v, AttentionMask.NONE, Pass.training(adam.t), out);
        float[] dOut = new float[out.length];
        double loss = 0;
        for (int t = 0; t < BATCH * N; t++) {
            for (int c = 0; c < CLASSES; c++) {
                float diff = out[t * CLASSES + c] - (m.cls[b.queries()[t]] == c ? 1f : 0f);
                loss += diff * diff;
                dOut[t * CLASSES + c] = 2f * diff / (BATCH * N);
            }
        }
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        attention.backward(saved, dOut, dq, dk, dv);
        Sgemm.matmulTransA(DM, D, BATCH * N, xq, dq, m.wk.grad);
        Sgemm.matmulTransA(DM, D, BATCH * N, xk, 0, DM, dk, 0, D, m.wk.grad, 0, D, true);
        adam.step(List.of(m.wk), lr);
        List<Parameter> trees = attention.parameters();
        if (treeLr > 0) adam.step(trees, treeLr);
        else trees.forEach(Parameter::zeroGrad);
        return loss / (BATCH * N);
    }

    @Test
    void denseThenTcThenTfTrainsAndTheTreesLearn() {
        Random r = new Random(42);
        Model model = new Model(r);
        List<String> log = new ArrayList<>();
        TreeformerSchedule schedule = TreeformerSchedule.parse("treeformer:h=2,h0=1,grow=60,dense=150,tc=300,tf=60,lr=0.03,treelr=0.05", 1e-3f, log::add);
        AttentionSetup setup = new AttentionSetup(1, D, N, 7);
        Random sampleRng = new Random(5);
        TreeformerSchedule.KeySampler sampler = () -> {
            Batch b = batch(sampleRng, 4);
            return new KeySample(model.project(model.embed(b.keys()), model.wk), 4 * N);
        };
        Adam adam = new Adam();
        Attention attention = null;
        double[] loss = new double[schedule.totalSteps()];
        float[] rootAtGrowth = null;
        for (int step = 0; step < schedule.totalSteps(); step++) {
            attention = schedule.attentionFor(step, attention, setup, sampler);
            if (step == 210) rootAtGrowth = ((TcAttention) attention).trees().tree(0).w().clone();
            loss[step] = step(model, attention, batch(r, BATCH), adam, schedule.learningRate(step), schedule.treeLearningRate(step));
        }
        float[] rootAtEnd = ((TfAttention) attention).trees().tree(0).w();

        String joined = String.join("\n", log);
        assertTrue(joined.contains("step 0: DENSE phase, attention none -> exact"), joined);
        assertTrue(joined.contains("step 150: fitted balanced trees of height 1"), joined);
        assertTrue(joined.contains("step 150: TC phase, attention exact -> tc:h=1"), joined);
        assertTrue(joined.contains("step 210: grew trees to height 2"), joined);
        assertTrue(joined.contains("step 450: TF phase, attention tc:h=2 -> tf:h=2"), joined);
        assertTrue(joined.contains("step 210: TC phase, attention tc:h=1 -> tc:h=2"), joined);
        assertEquals(6, log.size(), joined);

        double denseStart = mean(loss, 0, 10), denseEnd = mean(loss, 140, 150);
        double tcStart = mean(loss, 210, 230), tcEnd = mean(loss, 430, 450), tfEnd = mean(loss, 500, 510);
        System.out.printf("treeformer schedule: dense %.4f -> %.4f, tc(h=2) %.4f -> %.4f, tf %.4f%n", denseStart, denseEnd, tcStart, tcEnd, tfEnd);
        assertTrue(denseEnd < 0.5 * denseStart, "dense phase learns: " + denseStart + " -> " + denseEnd);
        assertTrue(tcEnd < 0.8 * tcStart, "TC phase learns: " + tcStart + " -> " + tcEnd);
        double moved = 0;
        for (int i = 0; i < rootAtEnd.length; i++) moved = Math.max(moved, Math.abs(rootAtEnd[i] - rootAtGrowth[i]));
        assertTrue(moved > 1e-2, "the root hyperplane was trained in TC (max change " + moved + ")");
        assertTrue(Double.isFinite(tfEnd) && tfEnd < denseStart, "TF phase works on the trained trees: " + tfEnd);
    }

    static double mean(double[] a, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += a[i];
        return s / (to - from);
    }

    @Test
    void scheduleAnswersPhasesHeightsAndRates() {
        TreeformerSchedule s = TreeformerSchedule.parse("treeformer:h=4,h0=2,grow=10,dense=5,tc=40,tf=5,lr=0.1,tclr=0.05,treelr=0.2,countbias=1", 1e-3f, x -> {});
        assertEquals(TreeformerSchedule.Phase.DENSE, s.phase(4));
        assertEquals("exact", s.attentionSpec(0));
        assertEquals("tc:h=2,countbias=1.0", s.attentionSpec(5));
        assertEquals("tc:h=3,countbias=1.0", s.attentionSpec(15));
        assertEquals("tc:h=4,countbias=1.0", s.attentionSpec(44));
        assertEquals("tf:h=4", s.attentionSpec(45));
        assertTrue(s.changesAt(0) && s.changesAt(5) && s.changesAt(15) && s.changesAt(25) && s.changesAt(45));
        assertTrue(!s.changesAt(6) && !s.changesAt(35));
        assertEquals(0.1f, s.learningRate(0));
        assertEquals(0.05f, s.learningRate(20));
        assertEquals(0.2f, s.treeLearningRate(20));
        assertEquals(0f, s.treeLearningRate(46));
        // A resumed run hands in its restored attention: same spec, so it is kept (trees not refitted).
        Attention restored = dev.canopy.attention.registry.Attentions.create("tc:h=3,countbias=1.0", new AttentionSetup(1, 4, 16, 1));
        assertTrue(s.attentionFor(20, restored, new AttentionSetup(1, 4, 16, 1), () -> { throw new AssertionError("no refit"); }) == restored);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TreeformerSchedule.parse("treeformer:h=4,h0=2", 1e-3f, x -> {})).getMessage().contains("grow"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TreeformerSchedule.parse("treeformer:h=4,speed=2", 1e-3f, x -> {})).getMessage().contains("speed"));
    }
}
