package dev.canopy.langchain4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Texts for comparing embeddings: short ones of every kind the tokenizer treats specially, paragraphs, and long
 * texts (several hundred to a few thousand word pieces) stitched from the paragraphs in a seeded order, so that the
 * set is fixed and needs no download.
 */
final class OracleTexts {
    private OracleTexts() {}

    static final List<String> SHORT = List.of(
            "Long sequences need efficient attention.",
            "A dog chased the ball across the park.",
            "Kernel fusion reduces memory traffic between layers.",
            "What time does the last train leave for Edinburgh?",
            "She paid 12.50 EUR for two coffees on 2025-03-14.",
            "Résumé, naïve façade and crème brûlée keep their accents until lower-casing strips them.",
            "The committee postponed its decision; nobody objected.",
            "Photosynthesis converts light energy into chemical energy.",
            "Unbelievably, the antidisestablishmentarianists reconvened.",
            "I can't believe it's not butter!",
            "Send the report to ops@example.com before 5pm.",
            "GPU, CPU and TPU are all processors.",
            "x",
            "The stock market fell 3% after the announcement.",
            "Birds migrate south when the days grow shorter.",
            "Please, don't forget: tabs\tand\nnewlines are whitespace too.");

    static final List<String> PARAGRAPHS = List.of(
            "The river had risen during the night, and by morning the lower fields were under water. Farmers stood at "
                    + "the edge of the flood with their hands in their pockets, talking about the harvest they would not have.",
            "Attention lets every position of a sequence look at every other position. Its cost grows with the square "
                    + "of the length, which is why long documents are usually cut into pieces before a model reads them.",
            "The recipe calls for two cups of flour, a pinch of salt, three eggs and a generous spoonful of butter. "
                    + "Mix the dry ingredients first, then fold in the eggs slowly so that the batter stays light.",
            "In the spring of that year the council voted to rebuild the old bridge in stone. The work took four "
                    + "summers, and when it was finished the whole town walked across it in a procession.",
            "A compiler turns source code into machine instructions. Along the way it checks types, removes dead code, "
                    + "inlines small functions and chooses which values live in registers.",
            "The detective examined the window latch, then the muddy footprints on the carpet. Whoever had come in "
                    + "had known exactly where the safe was hidden, and had not bothered to close the curtains.",
            "Coral reefs cover a tiny fraction of the ocean floor yet shelter about a quarter of all marine species. "
                    + "Rising water temperatures bleach the corals and threaten that diversity.",
            "He played the violin every evening after supper, always the same three pieces, until the neighbours knew "
                    + "them by heart and hummed along through the thin walls of the apartment.",
            "Interest rates were raised for the fourth time this year, as the central bank tried to bring inflation "
                    + "back towards its target without pushing the economy into recession.",
            "The museum's new wing displays ceramics from the Song dynasty, lacquerware, and a reconstructed tea house "
                    + "where visitors can watch a ceremony performed twice a day.",
            "To install the package, download the archive, verify its checksum, unpack it into a folder of your choice "
                    + "and add that folder's bin directory to your PATH.",
            "The marathon runners set off at dawn. By the twentieth kilometre the leading group had thinned to five, "
                    + "and the crowd along the embankment cheered each of them by name.",
            "Sermons in the village church were long, and the children counted the panes of the stained-glass windows "
                    + "while the minister spoke about patience, forgiveness and the harvest.",
            "Quantum computers use qubits that can be in superpositions of states. Error correction remains the main "
                    + "obstacle to building machines large enough to outperform classical ones.",
            "Grandmother kept her letters in a tin box under the bed, tied with ribbon by year, and she would read one "
                    + "aloud whenever somebody asked how she had met our grandfather.",
            "The senator argued that the bill would lower costs for families, while opponents warned that it would "
                    + "add billions to the deficit over the next decade.",
            "Glaciers in the Alps have lost more than half of their volume since 1900; hikers now cross bare rock where "
                    + "their grandparents once walked on ice.",
            "Our tests compare every gradient with finite differences, so a sign error in a backward pass shows up "
                    + "immediately rather than as a slowly diverging training run.",
            "The orchestra tuned for a long minute; then the conductor raised his baton, and the hall fell so quiet "
                    + "that a cough from the balcony sounded like thunder.",
            "Hydrochlorothiazide, acetaminophen and electroencephalography are words a tokenizer must split into many "
                    + "pieces, which makes them useful when testing where a long text may be cut.");

    /** Stitched texts of increasing length: a few under 510 pieces, most well over it. */
    static List<String> longTexts(int count, long seed) {
        Random rng = new Random(seed);
        List<String> out = new ArrayList<>(count);
        for (int t = 0; t < count; t++) {
            int paragraphs = 6 + t * 4; // roughly 45 pieces each: from about 270 to a few thousand
            StringBuilder sb = new StringBuilder();
            for (int p = 0; p < paragraphs; p++) {
                if (!sb.isEmpty()) sb.append(rng.nextBoolean() ? " " : "\n\n");
                sb.append(PARAGRAPHS.get(rng.nextInt(PARAGRAPHS.size())));
            }
            out.add(sb.toString());
        }
        return out;
    }

    /** Every text: {@link #SHORT}, {@link #PARAGRAPHS} and {@code longCount} long ones. */
    static List<String> all(int longCount) {
        List<String> all = new ArrayList<>(SHORT);
        all.addAll(PARAGRAPHS);
        all.addAll(longTexts(longCount, 18));
        return all;
    }
}
