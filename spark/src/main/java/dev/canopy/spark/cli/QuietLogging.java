package dev.canopy.spark.cli;

/**
 * Spark logs at INFO to the console by default; the command shows warnings and Spark's progress bar only. Set before
 * Spark's first log line, unless the user points log4j at a configuration of their own.
 */
final class QuietLogging {
    static final String CONFIG = "dev/canopy/spark/cli/log4j2-cli.properties";

    private QuietLogging() {}

    static void install() {
        if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("log4j.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", CONFIG);
        }
    }
}
