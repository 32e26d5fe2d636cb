package dev.canopy.spark.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

class SparkJvmOptionsTest {
    @Test
    void thePomsCopyHoldsEveryOptionSparkAsksFor() {
        // The launcher asks Spark at build time; the tests' JVMs (surefire, the cluster's) use the pom's copy.
        List<String> pom = Arrays.asList(System.getProperty("canopy.spark.jvmArgs", "").split("\\s+"));
        for (String o : JvmOptions.applicable(JavaModuleOptions.defaultModuleOptionArray())) {
            if (o.startsWith("--add-modules")) continue;   // the pom's canopy.jvm.args adds the Vector API
            assertTrue(pom.contains(o), "spark/pom.xml's spark.jvm.args lacks " + o);
        }
    }

    @Test
    void optionsForPackagesThisJdkLacksAreLeftOut() {
        assertEquals(List.of("--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dx=1"),
                JvmOptions.applicable(new String[] {"--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/no.such.pkg=ALL-UNNAMED", "-Dx=1"}));
    }

    @Test
    void localSlotsFollowTheMasterString() {
        int cores = Runtime.getRuntime().availableProcessors();
        assertEquals(1, KernelThreads.localSlots("local"));
        assertEquals(3, KernelThreads.localSlots("local[3]"));
        assertEquals(2, KernelThreads.localSlots("local[2,4]"));
        assertEquals(cores, KernelThreads.localSlots("local[*]"));
        assertEquals(cores, KernelThreads.localSlots("local[*, 2]"));
    }
}
