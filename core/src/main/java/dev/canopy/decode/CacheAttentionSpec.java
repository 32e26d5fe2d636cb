package dev.canopy.decode;

import dev.canopy.config.NamedOptions;
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
        NamedOptions o = NamedOptions.parse("decode attention", text);
        Map<String, String> v = o.values();
        List<String> allowed = switch (o.name()) {
            case "exact" -> List.of();
            case "topk" -> List.of("k");
            case "tf" -> List.of("h", "local", "route", "beam", "seed");
            case "tc" -> List.of("h", "local", "route", "seed");
            default -> throw new IllegalArgumentException("decode attention '" + text + "' is unknown; known: " + KNOWN);
        };
        for (String key : v.keySet()) {
            if (!allowed.contains(key)) throw new IllegalArgumentException("decode attention '" + text + "': option '" + key + "' is unknown; " + o.name() + " takes " + (allowed.isEmpty() ? "none" : String.join(", ", allowed)));
        }
        int k = o.name().equals("topk") ? positive(text, "k", v) : 0;
        int h = o.name().startsWith("t") && !o.name().equals("topk") ? atLeastZero(text, "h", v) : 0;
        long seed = v.containsKey("seed") ? integer(text, "seed", v) : 1;
        int local = v.containsKey("local") ? integer(text, "local", v) : 0;
        if (local < 0) throw new IllegalArgumentException("decode attention '" + text + "': local must be >= 0, got " + local);
        String route = v.getOrDefault("route", "tree");
        if (!route.equals("tree") && !route.equals("mass")) throw new IllegalArgumentException("decode attention '" + text + "': route must be tree or mass, got " + route);
        int beam = v.containsKey("beam") ? positive(text, "beam", v) : 1;
        if (beam > 1 && v.containsKey("route") && !route.equals("mass")) throw new IllegalArgumentException("decode attention '" + text + "': beam > 1 routes by mass; route=" + route + " cannot go with it");
        return new CacheAttentionSpec(o.name(), k, h, local, route.equals("mass") || beam > 1, beam, seed, o.toString());
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

    private static int positive(String text, String key, Map<String, String> v) {
        int x = integer(text, key, v);
        if (x < 1) throw new IllegalArgumentException("decode attention '" + text + "': " + key + " must be at least 1, got " + x);
        return x;
    }

    private static int atLeastZero(String text, String key, Map<String, String> v) {
        int x = integer(text, key, v);
        if (x < 0 || x > 16) throw new IllegalArgumentException("decode attention '" + text + "': " + key + " must be in [0, 16], got " + x);
        return x;
    }

    private static int integer(String text, String key, Map<String, String> v) {
        String s = v.get(key);
        if (s == null) throw new IllegalArgumentException("decode attention '" + text + "' needs option " + key + "=...");
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("decode attention '" + text + "': " + key + "=" + s + " is not an integer");
        }
    }
}
