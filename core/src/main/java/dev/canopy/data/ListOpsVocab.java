package dev.canopy.data;

/**
 * Token ids for ListOps: padding, [CLS], the ten digits, the four operators and the closing bracket. The text
 * form is LRA's fixed tokenisation: whitespace-separated "[MAX 2 3 ]".
 */
public final class ListOpsVocab {
    private ListOpsVocab() {}

    public static final int PAD = Vocab.PAD;
    public static final int CLS = Vocab.CLS;
    private static final int DIGIT0 = 2;
    private static final int OP0 = 12;
    public static final int CLOSE = 16;
    public static final int SIZE = 17;

    public static int digit(int d) { return DIGIT0 + d; }
    public static int operator(ListOps.Op op) { return OP0 + op.ordinal(); }
    public static boolean isDigit(int t) { return t >= DIGIT0 && t < DIGIT0 + 10; }
    public static boolean isOperator(int t) { return t >= OP0 && t < OP0 + 4; }
    public static int digitValue(int t) { return t - DIGIT0; }
    public static ListOps.Op operatorOf(int t) { return ListOps.Op.values()[t - OP0]; }

    /** The LRA text form, e.g. "[MAX 2 3 ]". */
    public static String toText(int[] tokens) {
        StringBuilder sb = new StringBuilder(tokens.length * 3);
        for (int t : tokens) {
            if (!sb.isEmpty()) sb.append(' ');
            if (isDigit(t)) sb.append(digitValue(t));
            else if (isOperator(t)) sb.append('[').append(operatorOf(t).name());
            else if (t == CLOSE) sb.append(']');
            else throw new IllegalArgumentException("not a listops token: " + t);
        }
        return sb.toString();
    }

    /** Parses the text form back, accepting LRA's parenthesised TSV format too (parentheses are dropped, as LRA's fixed pipeline does). */
    public static int[] fromText(String text) {
        String[] parts = text.replace("(", " ").replace(")", " ").trim().split("\\s+");
        int[] tokens = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            tokens[i] = switch (p) {
                case "]", "X" -> CLOSE;
                case "[MIN" -> operator(ListOps.Op.MIN);
                case "[MAX" -> operator(ListOps.Op.MAX);
                case "[MED" -> operator(ListOps.Op.MED);
                case "[SM" -> operator(ListOps.Op.SM);
                default -> {
                    if (p.length() == 1 && Character.isDigit(p.charAt(0))) yield digit(p.charAt(0) - '0');
                    throw new IllegalArgumentException("listops text has an unknown token '" + p + "'");
                }
            };
        }
        return tokens;
    }
}
