package dev.canopy.data;

/** Special token ids shared by every task: 0 pads, 1 is the [CLS] token that CLS pooling reads. */
public final class Vocab {
    private Vocab() {}

    public static final int PAD = 0;
    public static final int CLS = 1;

    /** Byte-level text: bytes 0..255 map to ids 2..257. */
    public static final int BYTE_VOCAB = 258;

    public static int byteToken(byte b) {
        return 2 + (b & 0xFF);
    }

    /** Byte-level ids of the first maxBytes bytes of a text. */
    public static int[] bytes(byte[] text, int maxBytes) {
        int n = Math.min(text.length, maxBytes);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = byteToken(text[i]);
        return ids;
    }
}
