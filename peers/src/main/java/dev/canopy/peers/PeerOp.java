package dev.canopy.peers;

/**
 * One prepared operation of a peer library on fixed inputs: inputs are copied into the peer's own memory once, so
 * {@link #run()} times only the computation, as Canopy's benchmarks do.
 */
public interface PeerOp extends AutoCloseable {

    /** Runs the operation once and frees everything it allocated. */
    void run();

    /** Runs once more and copies the results out (for checking against Canopy, not timed). */
    float[][] outputs();

    /** How the peer computes it, in a few words, e.g. "matmul+softmax+matmul, 2 query chunks". */
    String formulation();

    @Override
    void close();
}
