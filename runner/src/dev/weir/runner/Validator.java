package dev.weir.runner;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ExplainFormat;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableException;
import org.apache.flink.table.api.internal.TableEnvironmentImpl;
import org.apache.flink.table.catalog.CatalogManager;
import org.apache.flink.table.operations.CreateTableASOperation;
import org.apache.flink.table.operations.ModifyOperation;
import org.apache.flink.table.operations.Operation;
import org.apache.flink.table.operations.ReplaceTableAsOperation;
import org.apache.flink.table.operations.ddl.CreateTableOperation;

/**
 * A long-lived SQL checker: Weir starts it once and sends it scripts, so a check does not pay JVM start-up.
 *
 * <p>Protocol: one request per line on stdin, {@code <mode> <base64 UTF-8 script> [noplan]} (mode is streaming
 * or batch; {@code noplan}: skip the optimizer's plans, so only the parser's checks and the lineage, faster);
 * one JSON object per line on stdout:
 * {@code {"errors":[{"line","column","message"}],"warnings":[...],"plans":[{"line","statement","plan"}],"inserts":N,
 * "lineage":{...}}}, where {@code lineage} (column lineage, see {@link Lineage}) is there only when the script has
 * no errors. Positions are 1-based and relative to the whole script. CREATE TABLE ... AS SELECT creates its table
 * and is planned like an INSERT; nothing is ever executed. Each script gets a fresh TableEnvironment, so scripts
 * never see each other's tables.
 */
public final class Validator {
    private static final Pattern POSITION = Pattern.compile("line (\\d+), column (\\d+)");
    private static final Pattern SET = Pattern.compile("(?is)^SET\\s+'([^']*)'\\s*=\\s*'((?:[^']|'')*)'$");
    private static final Pattern SET_BLOCK =
            Pattern.compile("(?is)^(?:EXECUTE\\s+STATEMENT\\s+SET|BEGIN\\s+STATEMENT\\s+SET)\\s+(?:BEGIN\\s+)?(.*?)\\s*END$");

    private Validator() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        // Flink and its planner log to stdout/stderr through log4j; keep stdout for answers only.
        System.setOut(System.err);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.isEmpty()) continue;
            String answer;
            try {
                String[] parts = line.split(" ");
                String mode = parts.length < 2 ? "streaming" : parts[0];
                String b64 = parts.length < 2 ? parts[0] : parts[1];
                // A third word "noplan": no optimized plans (the lineage and the parser's checks only, faster).
                boolean wantPlans = !(parts.length > 2 && parts[2].equals("noplan"));
                String script = new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
                answer = check(mode, script, wantPlans);
            } catch (Throwable t) {
                answer = "{\"fatal\":" + Json.str(describe(t)) + "}";
            }
            out.println(answer);
        }
    }

    static String check(String mode, String script, boolean wantPlans) {
        TableEnvironmentImpl env = (TableEnvironmentImpl) TableEnvironment.create(
                "batch".equals(mode) ? EnvironmentSettings.inBatchMode() : EnvironmentSettings.inStreamingMode());
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        List<String> plans = new ArrayList<>();
        List<Lineage.Insert> modifies = new ArrayList<>();
        int inserts = 0;
        for (Statements.Statement st : Statements.split(script)) {
            String head = st.head(1);
            try {
                Matcher set = SET.matcher(st.text);
                Matcher block = SET_BLOCK.matcher(st.text);
                if (set.matches()) {
                    env.getConfig().set(set.group(1), set.group(2).replace("''", "'"));
                } else if (head.equals("SET") || head.equals("RESET")) {
                    if (!head.equals("RESET")) {
                        errors.add(problem(st, 1, 1, "write SET as: SET 'key' = 'value'"));
                    }
                } else if (head.equals("INSERT") || head.equals("SELECT") || head.equals("WITH")) {
                    if (head.equals("INSERT")) inserts++;
                    List<Operation> ops = env.getParser().parse(st.text);
                    if (wantPlans) plans.add(plan(st, env.explainInternal(ops, ExplainFormat.TEXT)));
                    if (ops.get(0) instanceof ModifyOperation) {
                        modifies.add(new Lineage.Insert(st.line, (ModifyOperation) ops.get(0)));
                    }
                } else if (block.matches()) {
                    // Lines of the block's statements in the whole script: the block's line plus the lines before
                    // its body.
                    int bodyLine = st.line + countLines(st.text.substring(0, block.start(1)));
                    List<Operation> ops = new ArrayList<>();
                    for (Statements.Statement inner : Statements.split(block.group(1))) {
                        Operation op = env.getParser().parse(inner.text).get(0);
                        if (!(op instanceof ModifyOperation)) {
                            throw new TableException("Only insert statement is supported now.");
                        }
                        ops.add(op);
                        modifies.add(new Lineage.Insert(bodyLine + inner.line - 1, (ModifyOperation) op));
                        inserts++;
                    }
                    if (wantPlans) plans.add(plan(st, env.explainInternal(ops, ExplainFormat.TEXT)));
                } else {
                    Operation op = env.getParser().parse(st.text).get(0);
                    ModifyOperation sink = tableAsSelect(env, op);
                    if (sink == null && op instanceof ModifyOperation) sink = (ModifyOperation) op; // EXECUTE INSERT
                    if (sink != null) {
                        // CREATE TABLE ... AS SELECT: create the table, plan the insert, run nothing.
                        inserts++;
                        if (wantPlans) plans.add(plan(st, env.explainInternal(Collections.singletonList(sink), ExplainFormat.TEXT)));
                        modifies.add(new Lineage.Insert(st.line, sink));
                    } else {
                        env.executeInternal(op);
                    }
                }
            } catch (Throwable t) {
                String message = describe(t);
                int[] pos = position(t);
                if (message.contains("Could not find any factory for identifier")) {
                    // The connector's jar is not on Weir's classpath; the cluster may well have it.
                    warnings.add(problem(st, pos[0], pos[1], message));
                } else {
                    errors.add(problem(st, pos[0], pos[1], message));
                }
            }
        }
        String answer = "{\"errors\":[" + String.join(",", errors) + "],\"warnings\":[" + String.join(",", warnings)
                + "],\"plans\":[" + String.join(",", plans) + "],\"inserts\":" + inserts;
        if (errors.isEmpty()) answer += ",\"lineage\":" + lineage(modifies);
        return answer + "}";
    }

    /** The lineage answer; never throws (lineage problems are not check errors). */
    private static String lineage(List<Lineage.Insert> modifies) {
        try {
            return Lineage.json(modifies);
        } catch (Throwable t) {
            return "{\"error\":" + Json.str("column lineage failed: " + describe(t)) + "}";
        }
    }

    /**
     * For CREATE [OR REPLACE] TABLE ... AS SELECT: creates the table in the catalog (so later statements see it;
     * a table REPLACE TABLE finds is kept as it is) and returns the insert into it; null for other statements.
     */
    private static ModifyOperation tableAsSelect(TableEnvironmentImpl env, Operation op) {
        CatalogManager catalogs = env.getCatalogManager();
        if (op instanceof CreateTableASOperation) {
            CreateTableASOperation ctas = (CreateTableASOperation) op;
            env.executeInternal(ctas.getCreateTableOperation());
            return ctas.toSinkModifyOperation(catalogs);
        }
        if (op instanceof ReplaceTableAsOperation) {
            ReplaceTableAsOperation rtas = (ReplaceTableAsOperation) op;
            CreateTableOperation create = rtas.getCreateTableOperation();
            if (!catalogs.getTable(create.getTableIdentifier()).isPresent()) env.executeInternal(create);
            return rtas.toSinkModifyOperation(catalogs);
        }
        return null;
    }

    private static int countLines(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') n++;
        return n;
    }

    /** The line and column inside the statement (1-based), from the first "line X, column Y" in the causes. */
    private static int[] position(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            Matcher m = POSITION.matcher(String.valueOf(c.getMessage()));
            if (m.find()) {
                return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
            }
        }
        return new int[] {1, 1};
    }

    /** An error positioned in the whole script: the statement's own position shifted by where it starts. */
    private static String problem(Statements.Statement st, int line, int column, String message) {
        int absLine = st.line + line - 1;
        int absColumn = line == 1 ? st.column + column - 1 : column;
        return "{\"line\":" + absLine + ",\"column\":" + absColumn + ",\"message\":" + Json.str(message)
                + ",\"statement_line\":" + st.line + "}";
    }

    private static String plan(Statements.Statement st, String plan) {
        return "{\"line\":" + st.line + ",\"statement\":" + Json.str(st.head(3)) + ",\"plan\":" + Json.str(plan) + "}";
    }

    private static final Pattern STATEMENT_RANGE =
            Pattern.compile("From line \\d+, column \\d+ to line \\d+, column \\d+: ");

    /**
     * The outer message and the root cause's, without stack traces, repeated sentences, or the planner's
     * statement-relative "From line .. to line ..:" (the answer carries the position in the whole script).
     */
    static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        String outer = String.valueOf(t.getMessage()).trim();
        String inner = String.valueOf(root.getMessage()).trim();
        String text = (root == t || outer.contains(inner)) ? firstLines(outer) : firstLines(outer) + " Cause: " + firstLines(inner);
        text = STATEMENT_RANGE.matcher(text).replaceAll("");
        StringBuilder out = new StringBuilder();
        String previous = null;
        for (String sentence : text.split("(?<=\\.) ")) {
            if (!sentence.equals(previous)) {
                if (out.length() > 0) out.append(' ');
                out.append(sentence);
            }
            previous = sentence;
        }
        return out.toString();
    }

    private static String firstLines(String s) {
        String[] lines = s.split("\n");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(lines.length, 3); i++) {
            if (i > 0) b.append(' ');
            b.append(lines[i].trim());
        }
        return b.toString();
    }

    /** Minimal JSON string encoding. */
    static final class Json {
        static String str(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"': b.append("\\\""); break;
                    case '\\': b.append("\\\\"); break;
                    case '\n': b.append("\\n"); break;
                    case '\r': b.append("\\r"); break;
                    case '\t': b.append("\\t"); break;
                    default:
                        if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                        else b.append(c);
                }
            }
            return b.append('"').toString();
        }
    }
}
