package dev.canopy.spark.cli;

import org.apache.spark.SparkConf;

/**
 * How many threads Canopy's kernels use under Spark. Spark already runs one task per core; kernels that also spread
 * each task over every core would make the tasks fight for them (and the thread pool's waiting costs CPU). So each
 * task gets {@code spark.task.cpus} threads (default 1), or, embedded, the cores the task slots leave over (local[1]
 * on 4 cores: 4). A CANOPY_THREADS or -Dcanopy.threads the user set wins.
 */
final class KernelThreads {
    static final String PROPERTY = "canopy.threads", ENV = "CANOPY_THREADS";

    private KernelThreads() {}

    /** Sets the driver's kernel threads (embedded: the driver runs the tasks) and the executors'. Call before any kernel runs. */
    static void configure(SparkConf conf) {
        int taskCpus = conf.getInt("spark.task.cpus", 1);
        String master = conf.get("spark.master");
        if (master.startsWith("local") && userChoice() == null) {
            System.setProperty(PROPERTY, Integer.toString(Math.max(taskCpus, Runtime.getRuntime().availableProcessors() / localSlots(master))));
        }
        if (!conf.contains("spark.executorEnv." + ENV)) conf.set("spark.executorEnv." + ENV, userChoice() != null ? userChoice() : Integer.toString(taskCpus));
    }

    private static String userChoice() {
        return System.getProperty(PROPERTY, System.getenv(ENV));
    }

    /** Task slots of local, local[N], local[*], local[N,F], local[*,F]. */
    static int localSlots(String master) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (!master.startsWith("local[")) return 1;
        String inside = master.substring("local[".length(), master.indexOf(']') < 0 ? master.length() : master.indexOf(']'));
        String n = inside.split(",")[0].trim();
        if (n.equals("*")) return cores;
        try {
            return Math.max(1, Integer.parseInt(n));
        } catch (NumberFormatException e) {
            return 1;   // Spark itself will reject the master
        }
    }
}
