package dev.canopy.train;

import dev.canopy.nn.Parameter;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p), with
 * the decay skipped for parameters marked {@code decay == false} (biases, norms, embeddings).
 */
public final class AdamW {
    /**
     * The optimiser's constants.
     *
     * @param beta1       first-moment decay
     * @param beta2       second-moment decay
     * @param eps         added to the root of the second moment
     * @param weightDecay decoupled decay, for parameters that take it
     */
    public record Settings(float beta1, float beta2, float eps, float weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || !(weightDecay >= 0)) {
                throw new IllegalArgumentException("adamw needs 0 <= beta < 1, eps > 0 and weight decay >= 0, got beta1=" + beta1
                        + " beta2=" + beta2 + " eps=" + eps + " wd=" + weightDecay);
            }
        }
    }

    private List<Parameter> params;
    private final Settings settings;
    private float[][] m;
    private float[][] v;
    private long steps;

    public AdamW(List<Parameter> params, Settings settings) {
        this.params = List.copyOf(params);
        this.settings = settings;
        this.m = new float[params.size()][];
        this.v = new float[params.size()][];
        for (int i = 0; i < params.size(); i++) {
            m[i] = new float[params.get(i).size()];
            v[i] = new float[params.get(i).size()];
        }
    }

    /**
     * Switches to a new parameter list (e.g. after a Treeformer schedule replaced the attention): parameters already
     * tracked keep their moments, new ones start from zero, and those no longer listed are forgotten. The step count
     * (bias correction) stays global.
     */
    public void track(List<Parameter> newParams) {
        float[][] nm = new float[newParams.size()][], nv = new float[newParams.size()][];
        for (int i = 0; i < newParams.size(); i++) {
            Parameter p = newParams.get(i);
            int old = indexOf(p);
            nm[i] = old >= 0 ? m[old] : new float[p.size()];
            nv[i] = old >= 0 ? v[old] : new float[p.size()];
        }
        params = List.copyOf(newParams);
        m = nm;
        v = nv;
    }

    private int indexOf(Parameter p) {
        for (int i = 0; i < params.size(); i++) if (params.get(i) == p) return i;
        return -1;
    }

    /** One update with learning rate lr from the gradients currently in the parameters. */
    public void step(float lr) {
        step(p -> lr);
    }

    /** One update where each parameter has its own learning rate (e.g. tree hyperplanes). */
    public void step(ToDoubleFunction<Parameter> lrOf) {
        steps++;
        float b1 = settings.beta1(), b2 = settings.beta2(), eps = settings.eps();
        double c1 = 1 - Math.pow(b1, steps), c2 = 1 - Math.pow(b2, steps);
        float vScale = (float) (1 / Math.sqrt(c2));
        for (int i = 0; i < params.size(); i++) {
            Parameter p = params.get(i);
            float lr = (float) lrOf.applyAsDouble(p);
            float stepSize = (float) (lr / c1);
            float[] mi = m[i], vi = v[i], w = p.data, g = p.grad;
            float decay = p.decay ? lr * settings.weightDecay() : 0f;
            for (int j = 0; j < w.length; j++) {
                float gj = g[j];
                mi[j] = b1 * mi[j] + (1 - b1) * gj;
                vi[j] = b2 * vi[j] + (1 - b2) * gj * gj;
                w[j] -= stepSize * mi[j] / ((float) Math.sqrt(vi[j]) * vScale + eps) + decay * w[j];
            }
        }
    }

    public long steps() { return steps; }

    /** First and second moments of parameter i (live arrays: a checkpoint saves and restores them). */
    public float[] firstMoment(int i) { return m[i]; }
    public float[] secondMoment(int i) { return v[i]; }

    public void restore(long steps, float[][] firstMoments, float[][] secondMoments) {
        if (firstMoments.length != m.length || secondMoments.length != v.length) throw new IllegalArgumentException("optimizer state has " + firstMoments.length + " tensors, the model " + m.length);
        for (int i = 0; i < m.length; i++) {
            if (firstMoments[i].length != m[i].length || secondMoments[i].length != v[i].length) {
                throw new IllegalArgumentException("optimizer state for " + params.get(i).name + " has the wrong size");
            }
            System.arraycopy(firstMoments[i], 0, m[i], 0, m[i].length);
            System.arraycopy(secondMoments[i], 0, v[i], 0, v[i].length);
        }
        this.steps = steps;
    }

    /** Scales all gradients so their global L2 norm is at most maxNorm (no-op when maxNorm <= 0); returns the norm before. */
    public static double clipGlobalNorm(List<Parameter> params, double maxNorm) {
        double sq = 0;
        for (Parameter p : params) for (float g : p.grad) sq += (double) g * g;
        double norm = Math.sqrt(sq);
        if (maxNorm > 0 && norm > maxNorm) {
            float s = (float) (maxNorm / (norm + 1e-6));
            for (Parameter p : params) for (int j = 0; j < p.grad.length; j++) p.grad[j] *= s;
        }
        return norm;
    }
}
