package dev.weir.runner;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a Flink SQL script into statements. A semicolon ends a statement only outside string literals
 * ('...' with '' as an escaped quote), quoted identifiers ("..." and `...`), line comments (-- ...) and block
 * comments. Comments are blanked out with spaces, so every statement keeps the line and column where it starts in
 * the script. An EXECUTE STATEMENT SET BEGIN ... END block is kept as one statement.
 */
public final class Statements {
    private Statements() {}

    /** One statement: its text (comments blanked, trimmed) and where it starts (1-based). */
    public static final class Statement {
        public final String text;
        public final int line;
        public final int column;

        Statement(String text, int line, int column) {
            this.text = text;
            this.line = line;
            this.column = column;
        }

        /** The first keyword(s), upper-cased and single-spaced, e.g. "INSERT INTO". */
        public String head(int words) {
            String[] parts = text.trim().split("\\s+", words + 1);
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < Math.min(words, parts.length); i++) {
                if (i > 0) b.append(' ');
                b.append(parts[i].toUpperCase(java.util.Locale.ROOT));
            }
            return b.toString();
        }
    }

    public static List<Statement> split(String script) {
        char[] s = blankComments(script);
        List<Statement> out = new ArrayList<>();
        int start = 0;
        int i = 0;
        while (i < s.length) {
            char c = s[i];
            if (c == '\'' || c == '"' || c == '`') {
                i = skipQuoted(s, i);
                continue;
            }
            if (c == ';' && !insideStatementSet(s, start, i)) {
                add(out, s, start, i);
                start = i + 1;
            }
            i++;
        }
        add(out, s, start, s.length);
        return out;
    }

    /** Index just past the closing quote of the literal or identifier opening at {@code i}. */
    private static int skipQuoted(char[] s, int i) {
        char q = s[i];
        int j = i + 1;
        while (j < s.length) {
            if (s[j] == q) {
                if (j + 1 < s.length && s[j + 1] == q) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j++;
        }
        return s.length;
    }

    /** Replaces comments by spaces (keeping newlines), leaving literals untouched. */
    static char[] blankComments(String script) {
        char[] s = script.toCharArray();
        int i = 0;
        while (i < s.length) {
            char c = s[i];
            if (c == '\'' || c == '"' || c == '`') {
                i = skipQuoted(s, i);
            } else if (c == '-' && i + 1 < s.length && s[i + 1] == '-') {
                while (i < s.length && s[i] != '\n') s[i++] = ' ';
            } else if (c == '/' && i + 1 < s.length && s[i + 1] == '*') {
                s[i++] = ' ';
                s[i++] = ' ';
                while (i < s.length && !(s[i] == '*' && i + 1 < s.length && s[i + 1] == '/')) {
                    if (s[i] != '\n') s[i] = ' ';
                    i++;
                }
                if (i < s.length) {
                    s[i++] = ' ';
                    s[i++] = ' ';
                }
            } else {
                i++;
            }
        }
        return s;
    }

    /** True when the text from {@code start} to {@code end} opens EXECUTE STATEMENT SET BEGIN without its END. */
    private static boolean insideStatementSet(char[] s, int start, int end) {
        String text = new String(s, start, end - start).trim().toUpperCase(java.util.Locale.ROOT)
                .replaceAll("\\s+", " ");
        if (!text.startsWith("EXECUTE STATEMENT SET BEGIN") && !text.startsWith("BEGIN STATEMENT SET")) {
            return false;
        }
        return !text.endsWith(" END");
    }

    private static void add(List<Statement> out, char[] s, int from, int to) {
        int a = from;
        while (a < to && Character.isWhitespace(s[a])) a++;
        int b = to;
        while (b > a && Character.isWhitespace(s[b - 1])) b--;
        if (a >= b) return;
        int line = 1;
        int col = 1;
        for (int k = 0; k < a; k++) {
            if (s[k] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        out.add(new Statement(new String(s, a, b - a), line, col));
    }
}
