package dev.canopy.attention;

/**
 * Shapes of one multi-head attention call, all row-major:
 * q [batch, heads, nq, d], k [batch, heads, nk, d], v [batch, heads, nk, dv], out [batch, heads, nq, dv].
 *
 * @param batch independent sequences
 * @param heads heads per sequence
 * @param nq    queries per head
 * @param nk    keys (and values) per head
 * @param d     width of queries and keys
 * @param dv    width of values and outputs
 */
public record AttentionShape(int batch, int heads, int nq, int nk, int d, int dv) {

    /** Checks that every dimension is positive and every tensor fits in a Java array. */
    public AttentionShape {
        if (batch <= 0 || heads <= 0 || nq <= 0 || nk <= 0 || d <= 0 || dv <= 0) {
            throw new IllegalArgumentException("attention shape must be positive in every dimension, got " + describe(batch, heads, nq, nk, d, dv));
        }
        long largest = Math.max((long) batch * heads * nq * Math.max(d, dv), (long) batch * heads * nk * Math.max(d, dv));
        if (largest > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("attention tensors over 2^31 floats are not supported, got " + describe(batch, heads, nq, nk, d, dv));
        }
    }

    /**
     * Self-attention: nq = nk = n and dv = d.
     *
     * @param batch independent sequences
     * @param heads heads per sequence
     * @param n     sequence length
     * @param d     head width
     * @return the shape
     */
    public static AttentionShape self(int batch, int heads, int n, int d) {
        return new AttentionShape(batch, heads, n, n, d, d);
    }

    /** {@return floats in q} */
    public int qSize() { return batch * heads * nq * d; }
    /** {@return floats in k} */
    public int kSize() { return batch * heads * nk * d; }
    /** {@return floats in v} */
    public int vSize() { return batch * heads * nk * dv; }
    /** {@return floats in out} */
    public int outSize() { return batch * heads * nq * dv; }
    /**
     * Number of independent (batch, head) pairs.
     *
     * @return batch times heads
     */
    public int pairs() { return batch * heads; }

    /**
     * Throws an IllegalArgumentException naming the tensor whose length does not match this shape.
     *
     * @param q   queries
     * @param k   keys
     * @param v   values
     * @param out output
     */
    public void check(float[] q, float[] k, float[] v, float[] out) {
        checkLength("q", q, qSize(), "[batch, heads, nq, d]");
        checkLength("k", k, kSize(), "[batch, heads, nk, d]");
        checkLength("v", v, vSize(), "[batch, heads, nk, dv]");
        checkLength("out", out, outSize(), "[batch, heads, nq, dv]");
    }

    /**
     * The backward's arrays: dOut as the output, dq/dk/dv as q/k/v; throws naming the first that does not fit.
     *
     * @param dOut gradient of the output
     * @param dq   gradient of the queries
     * @param dk   gradient of the keys
     * @param dv   gradient of the values
     */
    public void checkGradients(float[] dOut, float[] dq, float[] dk, float[] dv) {
        checkLength("dOut", dOut, outSize(), "[batch, heads, nq, dv]");
        checkLength("dq", dq, qSize(), "[batch, heads, nq, d]");
        checkLength("dk", dk, kSize(), "[batch, heads, nk, d]");
        checkLength("dv", dv, vSize(), "[batch, heads, nk, dv]");
    }

    /**
     * Throws an IllegalArgumentException unless the array has the expected length.
     *
     * @param name     the tensor's name in the message
     * @param a        the array
     * @param expected its length under this shape
     * @param layout   its layout, for the message
     */
    public void checkLength(String name, float[] a, int expected, String layout) {
        if (a == null) throw new IllegalArgumentException(name + " is null; expected " + expected + " floats " + layout + " for " + this);
        if (a.length != expected) {
            throw new IllegalArgumentException(name + " has " + a.length + " floats but " + layout + " of " + this + " needs " + expected);
        }
    }

    @Override
    /** {@return the dimensions by name, as error messages show them} */
    public String toString() {
        return describe(batch, heads, nq, nk, d, dv);
    }

    private static String describe(int batch, int heads, int nq, int nk, int d, int dv) {
        return "batch=" + batch + " heads=" + heads + " nq=" + nq + " nk=" + nk + " d=" + d + " dv=" + dv;
    }
}
