package dev.canopy.spark.cli;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session a command runs in: embedded ({@code local[*]}) unless --master or spark-submit names another.
 * For a cluster the driver ships Canopy's own jars to the executors ({@code spark.jars}); the cluster brings Spark.
 */
final class Sessions {
    static final String DEFAULT_MASTER = "local[*]";

    private Sessions() {}

    /** The session's settings; also sets Canopy's kernel threads, so call it before any model is opened. */
    static SparkConf conf(String appName, String master, List<String> conf) {
        SparkConf c = new SparkConf();   // picks up spark.* system properties, as spark-submit passes them
        if (master != null) c.setMaster(master);
        else if (!c.contains("spark.master")) c.setMaster(DEFAULT_MASTER);
        c.setIfMissing("spark.app.name", appName);
        c.setIfMissing("spark.ui.showConsoleProgress", "true");
        for (String kv : conf) {
            int eq = kv.indexOf('=');
            c.set(kv.substring(0, eq), kv.substring(eq + 1));
        }
        if (!c.get("spark.master").startsWith("local")) c.set("spark.jars", withCanopyJars(c.get("spark.jars", "")));
        KernelThreads.configure(c);
        return c;
    }

    static SparkSession start(SparkConf conf) {
        return SparkSession.builder().config(conf).getOrCreate();
    }

    /**
     * spark.jars plus the jars holding Canopy's classes, each once; compared by file name, since spark-submit lists its
     * application jar (which holds them) as file:/..., not file:///....
     */
    private static String withCanopyJars(String existing) {
        Set<String> jars = new LinkedHashSet<>();
        Set<String> names = new java.util.HashSet<>();
        for (String j : existing.split(",")) {
            if (j.isBlank()) continue;
            jars.add(j.trim());
            names.add(j.trim().substring(j.trim().lastIndexOf('/') + 1));
        }
        for (var p : CanopyJars.forExecutors()) if (names.add(p.getFileName().toString())) jars.add(p.toUri().toString());
        return String.join(",", jars);
    }
}
