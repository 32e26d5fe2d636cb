package dev.canopy.cli.train;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Arrays;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

public class PresetTest {
    @Test
    void theHelpListNamesEveryPresetAndEachNameParsesBack() {
        assertEquals(Arrays.stream(Preset.values()).map(Preset::label).collect(Collectors.joining(", ")), Preset.NAMES);
        for (Preset p : Preset.values()) assertEquals(p, Preset.parse(p.label()));
        var e = assertThrows(IllegalArgumentException.class, () -> Preset.parse("huge"));
        assertEquals("unknown preset 'huge'; known: tiny, demo, small, lra", e.getMessage());
    }
}
