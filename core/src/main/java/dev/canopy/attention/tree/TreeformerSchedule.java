package dev.canopy.attention.tree;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.AttentionSpec;
import dev.canopy.attention.ExactAttention;
import java.util.function.Consumer;

/**
 * Two-level bootstrapped training of a Treeformer layer (research/treeformer.md section 6; the schedule is our design,
 * the paper only names "two-level bootstrapped training"):
 * <ol>
 *   <li>DENSE: steps [0, dense) with exact attention (or start from a dense checkpoint with dense = 0);</li>
 *   <li>tree init: at the first TC step every head's tree is fitted (balanced: principal direction + median split per
 *       node) on keys of the model as it is then, i.e. the dense model's keys;</li>
 *   <li>TC: steps [dense, dense + tc) with TC-Attention; trees learn through the DGT surrogate. With h0 &lt; h the tree
 *       starts at height h0 and grows one level every {@code grow} steps (kept hyperplanes, new level fitted on fresh
 *       sample keys) up to h;</li>
 *   <li>TF: steps [dense + tc, dense + tc + tf) with TF-Attention on the trained trees, grown to h if TC ended lower;
 *       trees frozen unless {@code tftreelr} &gt; 0 (TF gives the trees no gradient anyway).</li>
 * </ol>
 * The schedule tells a trainer which attention spec and learning rates apply at a step, and builds the attention for a
 * step ({@link #attentionFor}), performing tree fits and growth from a {@link KeySampler}. A new attention object is
 * returned at every change, with new tree {@link dev.canopy.nn.Parameter}s: the trainer must re-read
 * {@code attention.parameters()} (and reset their optimiser state) when {@link #changesAt} says so.
 *
 * <p>Spec form (for configs and the command line):
 * {@code treeformer:h=8[,h0=8][,grow=0][,dense=1000][,tc=1000][,tf=1000][,lr=1e-3][,denselr=lr][,tclr=lr][,treelr=1e-2][,tflr=lr]
 * [,tftreelr=0][,countbias=0][,groups=path][,routegrad=off][,empty=zero]}.
 */
public final class TreeformerSchedule {

    public enum Phase { DENSE, TC, TF }

    /** Sample keys of one layer from the current model: [heads, rows, d] (only unpadded keys). */
    public record KeySample(float[] keys, int rows) {}

    @FunctionalInterface
    public interface KeySampler {
        KeySample sample();
    }

    public record Options(int height, int startHeight, int growEvery, int denseSteps, int tcSteps, int tfSteps,
                          float denseLr, float tcLr, float treeLr, float tfLr, float tfTreeLr,
                          float countBias, TcAttention.Groups groups, boolean routeGrad, TfAttention.EmptyLeaf empty) {
        public Options {
            if (height < 0 || height > 16) throw new IllegalArgumentException("treeformer: h must be in [0, 16], got " + height);
            if (startHeight < 0 || startHeight > height) throw new IllegalArgumentException("treeformer: h0 must be in [0, h=" + height + "], got " + startHeight);
            if (denseSteps < 0 || tcSteps < 0 || tfSteps < 0) throw new IllegalArgumentException("treeformer: phase lengths must be >= 0");
            if (startHeight < height && growEvery <= 0) throw new IllegalArgumentException("treeformer: h0 < h needs grow=STEPS > 0 (steps per added level)");
            for (float lr : new float[] {denseLr, tcLr, treeLr, tfLr, tfTreeLr}) {
                if (!(lr >= 0) || !Float.isFinite(lr)) throw new IllegalArgumentException("treeformer: learning rates must be finite and >= 0");
            }
        }
    }

    private final Options options;
    private final Consumer<String> log;

    public TreeformerSchedule(Options options, Consumer<String> log) {
        this.options = options;
        this.log = log;
    }

    public static TreeformerSchedule parse(String text, Consumer<String> log) {
        AttentionSpec spec = AttentionSpec.parse(text);
        if (!spec.name().equals("treeformer")) throw new IllegalArgumentException("schedule '" + text + "' is not a treeformer schedule (treeformer:h=8,...)");
        spec.allowOnly("h", "h0", "grow", "dense", "tc", "tf", "lr", "denselr", "tclr", "treelr", "tflr", "tftreelr", "countbias", "groups", "routegrad", "empty");
        int h = TreeSpecs.height(spec);
        float lr = spec.floatOption("lr", 1e-3f);
        TcAttention.Groups groups = switch (spec.stringOption("groups", "path")) {
            case "path" -> TcAttention.Groups.PATH;
            case "siblings" -> TcAttention.Groups.SIBLINGS;
            default -> throw new IllegalArgumentException("treeformer: groups must be path or siblings");
        };
        TfAttention.EmptyLeaf empty = switch (spec.stringOption("empty", "zero")) {
            case "zero" -> TfAttention.EmptyLeaf.ZERO;
            case "self" -> TfAttention.EmptyLeaf.SELF;
            case "rootmean" -> TfAttention.EmptyLeaf.ROOTMEAN;
            default -> throw new IllegalArgumentException("treeformer: empty must be zero, self or rootmean");
        };
        return new TreeformerSchedule(new Options(h, spec.intOption("h0", h), spec.intOption("grow", 0), spec.intOption("dense", 1000),
                spec.intOption("tc", 1000), spec.intOption("tf", 1000), spec.floatOption("denselr", lr), spec.floatOption("tclr", lr),
                spec.floatOption("treelr", 1e-2f), spec.floatOption("tflr", lr), spec.floatOption("tftreelr", 0f),
                spec.floatOption("countbias", 0f), groups, spec.boolOption("routegrad", false), empty), log);
    }

    public Options options() { return options; }

    public int totalSteps() {
        return options.denseSteps() + options.tcSteps() + options.tfSteps();
    }

    public Phase phase(int step) {
        if (step < 0) throw new IllegalArgumentException("step must be >= 0, got " + step);
        if (step < options.denseSteps()) return Phase.DENSE;
        if (step < options.denseSteps() + options.tcSteps()) return Phase.TC;
        return Phase.TF;
    }

    /** Tree height in use at a step (0 in the dense phase). */
    public int height(int step) {
        return switch (phase(step)) {
            case DENSE -> 0;
            case TC -> options.startHeight() >= options.height() ? options.height()
                    : Math.min(options.height(), options.startHeight() + (step - options.denseSteps()) / options.growEvery());
            case TF -> options.height();
        };
    }

    /** The attention spec at a step: exact, tc:h=..., tf:h=... */
    public String attentionSpec(int step) {
        return switch (phase(step)) {
            case DENSE -> "exact";
            case TC -> TcAttention.specOf(height(step), options.countBias(), options.groups(), true, options.routeGrad());
            case TF -> TfAttention.specOf(height(step), options.empty());
        };
    }

    /** Learning rate of everything except the trees. */
    public float learningRate(int step) {
        return switch (phase(step)) {
            case DENSE -> options.denseLr();
            case TC -> options.tcLr();
            case TF -> options.tfLr();
        };
    }

    /** Learning rate of the tree hyperplanes (0 where there are no trees or they are frozen). */
    public float treeLearningRate(int step) {
        return switch (phase(step)) {
            case DENSE -> 0f;
            case TC -> options.treeLr();
            case TF -> options.tfTreeLr();
        };
    }

    /** Whether the attention at this step differs from the one at step - 1 (always true at step 0). */
    public boolean changesAt(int step) {
        return step == 0 || !attentionSpec(step).equals(attentionSpec(step - 1));
    }

    /**
     * The attention to use at a step: current itself when its spec is the step's spec, else a new one built from it: exact for
     * the dense phase; on entering TC, fresh trees fitted on sampled keys; on a growth step, current's trees grown by
     * one level per missing level; on entering TF, current's trees (grown to h if needed) behind TF-Attention.
     */
    public Attention attentionFor(int step, Attention current, AttentionSetup setup, KeySampler keys) {
        // Same spec: keep it (also what a resumed run wants: its restored trees must not be refitted).
        if (current != null && current.spec().equals(attentionSpec(step))) return current;
        Phase phase = phase(step);
        String target = attentionSpec(step);
        String from = current == null ? "none" : current.spec();
        Attention next = switch (phase) {
            case DENSE -> new ExactAttention();
            case TC -> new TcAttention(treesFor(step, current, setup, keys), options.countBias(), options.groups(), true, options.routeGrad());
            case TF -> new TfAttention(treesFor(step, current, setup, keys), options.empty());
        };
        if (!next.spec().equals(target)) throw new IllegalStateException("schedule built " + next.spec() + " for " + target);
        log.accept("treeformer step " + step + ": " + phase + " phase, attention " + from + " -> " + target
                + ", lr " + learningRate(step) + ", tree lr " + treeLearningRate(step));
        return next;
    }

    private TreeBank treesFor(int step, Attention current, AttentionSetup setup, KeySampler keys) {
        int h = height(step);
        TreeBank bank = current instanceof TcAttention tc ? tc.trees() : current instanceof TfAttention tf ? tf.trees() : null;
        if (bank != null && (bank.heads() != setup.heads() || bank.dim() != setup.headDim() || bank.height() > h)) bank = null;
        if (bank == null) {
            int start = phase(step) == Phase.TC ? h : options.height();
            bank = new TreeBank(setup.heads(), start, setup.headDim(), false, setup.seed());
            if (start > 0) {
                KeySample sample = keys.sample();
                bank.initBalanced(sample.keys(), sample.rows());
                log.accept("treeformer step " + step + ": fitted balanced trees of height " + start + " on " + sample.rows() + " keys per head");
            }
            return bank;
        }
        if (bank.height() == h) return bank.copy();
        while (bank.height() < h) {
            KeySample sample = keys.sample();
            bank = bank.grow(sample.keys(), sample.rows());
            log.accept("treeformer step " + step + ": grew trees to height " + bank.height() + " (new level fitted on " + sample.rows() + " keys per head)");
        }
        return bank;
    }
}
