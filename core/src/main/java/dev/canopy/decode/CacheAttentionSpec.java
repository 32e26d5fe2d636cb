package dev.canopy.decode;

import dev.canopy.attention.tree.TfAttention.Route;
import dev.canopy.config.NamedOptions;
import dev.canopy.config.OptionSchema;
import java.util.List;
import java.util.Map;

/**
 * A decode-time attention by name, parsed once at the edge: {@code exact}, {@code topk:k=K}, {@code tf:h=H} (the
 * query's leaf) or {@code tc:h=H} (leaf plus the centroids off its path); trees optionally with {@code local=W} (the W
 * most recent positions too) and {@code seed=S} (the trees' fit).
 *
 * @param name   exact, topk, tf or tc
 * @param k      keys kept (topk)
 * @param height tree height (tf, tc)
 * @param local  recent positions a tree query also attends to
 * @param byMass route tree queries by estimated attention mass ({@code route=mass}), not by the hyperplanes
 * @param beam   leaves a tf query attends to ({@code beam=B}: a beam descent by mass)
 * @param seed   seed of the tree fit
 * @param text   the spec as written
 */
public record CacheAttentionSpec(String name, int k, int height, int local, boolean byMass, int beam, long seed, String text) {
    private static final OptionSchema.Option HEIGHT = OptionSchema.required("h", "tree height, 0 to 16");
    private static final OptionSchema.Option LOCAL = OptionSchema.optional("local", "0", "most recent positions attended to as well");
    private static final OptionSchema.Option ROUTE = OptionSchema.optional("route", "auto", "tree, mass, or auto (mass when beam > 1)");
    private static final OptionSchema.Option SEED = OptionSchema.optional("seed", "1", "seed of the trees' fit");
    private static final Map<String, OptionSchema> SCHEMAS = Map.of(
            "exact", new OptionSchema("exact", List.of()),
            "topk", new OptionSchema("topk", List.of(OptionSchema.required("k", "keys kept per query"))),
            "tf", new OptionSchema("tf", List.of(HEIGHT, LOCAL, ROUTE, OptionSchema.optional("beam", "1", "leaves a query attends to"), SEED)),
            "tc", new OptionSchema("tc", List.of(HEIGHT, LOCAL, ROUTE, SEED)));

    /** The forms a spec can take, for messages and help. */
    public static final String KNOWN = "exact, topk:k=K, tf:h=H[,local=W][,route=tree|mass][,beam=B], tc:h=H[,local=W][,route=tree|mass]";

    /**
     * Parses and checks a spec.
     *
     * @param text e.g. {@code topk:k=64}
     * @return the spec
     * @throws IllegalArgumentException naming the spec and what is wrong with it
     */
    public static CacheAttentionSpec parse(String text) {
        NamedOptions given = NamedOptions.parse("decode attention", text);
        OptionSchema schema = SCHEMAS.get(given.name());
        if (schema == null) throw new IllegalArgumentException("decode attention '" + text + "' is unknown; known: " + KNOWN);
        OptionSchema.Values v = schema.read(given);
        return switch (given.name()) {
            case "exact" -> new CacheAttentionSpec("exact", 0, 0, 0, false, 1, 1, given.toString());
            case "topk" -> new CacheAttentionSpec("topk", v.integer("k", 1, Integer.MAX_VALUE), 0, 0, false, 1, 1, given.toString());
            default -> tree(given, v);
        };
    }

    private static CacheAttentionSpec tree(NamedOptions given, OptionSchema.Values v) {
        int beam = v.values().containsKey("beam") ? v.integer("beam", 1, Integer.MAX_VALUE) : 1;
        Route route = v.choice("route", Route.class);
        if (beam > 1 && route == Route.TREE) {
            throw new IllegalArgumentException("decode attention '" + given + "': beam > 1 routes by mass; route=tree cannot go with it");
        }
        boolean byMass = route.byMass(beam);
        return new CacheAttentionSpec(given.name(), 0, v.integer("h", 0, 16), v.integer("local", 0, Integer.MAX_VALUE), byMass, beam,
                v.integer("seed"), given.toString());
    }

    /**
     * A comma-separated list ({@code exact,topk:k=64,tf:h=4}).
     *
     * @param text the list
     * @return the specs in order
     */
    public static List<CacheAttentionSpec> parseList(String text) {
        return NamedOptions.splitList("decode attention", text).stream().map(CacheAttentionSpec::parse).toList();
    }

    /**
     * The attention, bound to a cache.
     *
     * @param cache the cache it reads
     * @return a new attention
     */
    public CacheAttention create(KvCache cache) {
        return switch (name) {
            case "exact" -> new ExactCacheAttention(cache);
            case "topk" -> new TopKCacheAttention(cache, k);
            case "tf" -> new TreeCacheAttention(cache, height, false, local, byMass, beam, seed);
            case "tc" -> new TreeCacheAttention(cache, height, true, local, byMass, 1, seed);
            default -> throw new IllegalStateException(name);
        };
    }

    @Override
    public String toString() {
        return text;
    }
}
