package dev.canopy.train;

import dev.canopy.attention.Attention;
import dev.canopy.attention.AttentionSetup;
import dev.canopy.attention.ExactAttention;
import dev.canopy.attention.tree.CentroidGroups;
import dev.canopy.attention.tree.KeySample;
import dev.canopy.attention.tree.TcAttention;
import dev.canopy.attention.tree.TfAttention;
import dev.canopy.attention.tree.TreeBank;
import dev.canopy.config.NamedOptions;
import dev.canopy.config.OptionSchema;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Two-level bootstrapped training of a Treeformer model (the paper names "two-level bootstrapped training"; the
 * phases below are our design). A training option ({@code --schedule}), not an attention: the model starts with exact
 * attention and the trainer swaps in tree attention as the schedule says.
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
 * <p>Spec form (run files and the command line): {@link Options#SCHEMA}'s usage,
 * {@code treeformer:h=H[,h0=h][,grow=0][,dense=1000][,tc=1000][,tf=1000][,lr=RUN][,denselr=lr][,tclr=lr][,treelr=0.01]...}.
 */
public final class TreeformerSchedule {

    public enum Phase { DENSE, TC, TF }

    @FunctionalInterface
    public interface KeySampler {
        KeySample sample();
    }

    /**
     * A parsed {@code treeformer:...} spec; see {@link #SCHEMA} for each option's default.
     *
     * @param height      tree height h
     * @param startHeight height h0 the trees start at in TC
     * @param growEvery   TC steps per added level while below h
     * @param denseSteps  steps with exact attention
     * @param tcSteps     steps with TC attention
     * @param tfSteps     steps with TF attention
     * @param denseLr     learning rate in the dense phase
     * @param tcLr        learning rate of the model in TC
     * @param treeLr      learning rate of the trees in TC
     * @param tfLr        learning rate of the model in TF
     * @param tfTreeLr    learning rate of the trees in TF (0 freezes them)
     * @param countBias   TC's count bias
     * @param groups      how TC groups keys into centroids
     * @param routeGrad   whether TC passes gradient through the routing
     * @param empty       what TF does for a query whose leaf holds no key
     */
    public record Options(int height, int startHeight, int growEvery, int denseSteps, int tcSteps, int tfSteps,
                          float denseLr, float tcLr, float treeLr, float tfLr, float tfTreeLr,
                          float countBias, CentroidGroups groups, boolean routeGrad, TfAttention.EmptyLeaf empty) {
        public Options {
            if (height < 0 || height > 16) throw new IllegalArgumentException("treeformer: h must be in [0, 16], got " + height);
            if (startHeight < 0 || startHeight > height) throw new IllegalArgumentException("treeformer: h0 must be in [0, h=" + height + "], got " + startHeight);
            if (denseSteps < 0 || tcSteps < 0 || tfSteps < 0) throw new IllegalArgumentException("treeformer: phase lengths must be >= 0");
            if (startHeight < height && growEvery <= 0) throw new IllegalArgumentException("treeformer: h0 < h needs grow=STEPS > 0 (steps per added level)");
            for (float lr : new float[] {denseLr, tcLr, treeLr, tfLr, tfTreeLr}) {
                if (!(lr >= 0) || !Float.isFinite(lr)) throw new IllegalArgumentException("treeformer: learning rates must be finite and >= 0");
            }
        }

        /** lr is the rate of every phase that names none (the run's --lr when parsing a command line). */
        public static final OptionSchema SCHEMA = new OptionSchema("treeformer", List.of(
                OptionSchema.required("h", "final tree height"),
                OptionSchema.optional("h0", "h", "tree height when TC starts (grows one level every grow steps up to h)"),
                OptionSchema.optional("grow", "0", "steps per added level while h0 < h"),
                OptionSchema.optional("dense", "1000", "steps with exact attention"),
                OptionSchema.optional("tc", "1000", "steps with TC attention, trees learning"),
                OptionSchema.optional("tf", "1000", "steps with TF attention on the trained trees"),
                OptionSchema.optional("lr", "RUN", "learning rate of every phase (default: the run's --lr)"),
                OptionSchema.optional("denselr", "lr", "dense phase rate"),
                OptionSchema.optional("tclr", "lr", "TC phase rate (all but the trees)"),
                OptionSchema.optional("treelr", "0.01", "TC phase rate of the trees"),
                OptionSchema.optional("tflr", "lr", "TF phase rate"),
                OptionSchema.optional("tftreelr", "0", "TF phase rate of the trees (0: frozen)"),
                OptionSchema.optional("countbias", "0", "TC's count bias B"),
                OptionSchema.optional("groups", "path", "TC's groups: path or siblings"),
                OptionSchema.optional("routegrad", "off", "TC's surrogate gradient into q and k"),
                OptionSchema.optional("empty", "zero", "TF's empty-leaf policy: zero, self or rootmean")));

        /** Parses {@code treeformer:h=4,dense=..,tc=..,tf=..}; phases without a rate of their own take runLr. */
        public static Options parse(String text, float runLr) {
            NamedOptions named = NamedOptions.parse("schedule", text);
            if (!named.name().equals("treeformer")) {
                throw new IllegalArgumentException("schedule '" + text + "' is not a treeformer schedule; expected " + SCHEMA.usage());
            }
            OptionSchema.Values v = SCHEMA.read(named);
            int h = v.integer("h", 0, 16);
            float lr = v.text("lr").equals("RUN") ? runLr : v.number("lr");
            return new Options(h, v.text("h0").equals("h") ? h : v.integer("h0"), v.integer("grow"), v.integer("dense"), v.integer("tc"), v.integer("tf"),
                    rate(v, "denselr", lr), rate(v, "tclr", lr), v.number("treelr"), rate(v, "tflr", lr), v.number("tftreelr"),
                    v.number("countbias"), v.choice("groups", CentroidGroups.class), v.flag("routegrad"), v.choice("empty", TfAttention.EmptyLeaf.class));
        }

        private static float rate(OptionSchema.Values v, String key, float lr) {
            return v.text(key).equals("lr") ? lr : v.number(key);
        }

        /** Every option written out, so the text parses back to these options whatever the run's rate. */
        public String toSpec() {
            return "treeformer:h=" + height + ",h0=" + startHeight + ",grow=" + growEvery + ",dense=" + denseSteps + ",tc=" + tcSteps + ",tf=" + tfSteps
                    + ",denselr=" + denseLr + ",tclr=" + tcLr + ",treelr=" + treeLr + ",tflr=" + tfLr + ",tftreelr=" + tfTreeLr
                    + ",countbias=" + countBias + ",groups=" + groups.name().toLowerCase(Locale.ROOT) + ",routegrad=" + (routeGrad ? "on" : "off")
                    + ",empty=" + empty.name().toLowerCase(Locale.ROOT);
        }

        /** The same schedule with other phase lengths (the demo fits the phases into its step budget). */
        public Options withPhases(int dense, int tc, int tf) {
            return new Options(height, startHeight, growEvery, dense, tc, tf, denseLr, tcLr, treeLr, tfLr, tfTreeLr, countBias, groups, routeGrad, empty);
        }

        /** A short label for tables: {@code treeformer:h=4,dense=200,tc=200,tf=0}. */
        public String label() {
            return "treeformer:h=" + height + ",dense=" + denseSteps + ",tc=" + tcSteps + ",tf=" + tfSteps;
        }
    }

    private final Options options;
    private final Consumer<String> log;

    public TreeformerSchedule(Options options, Consumer<String> log) {
        this.options = options;
        this.log = log;
    }

    public static TreeformerSchedule parse(String text, float runLr, Consumer<String> log) {
        return new TreeformerSchedule(Options.parse(text, runLr), log);
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
