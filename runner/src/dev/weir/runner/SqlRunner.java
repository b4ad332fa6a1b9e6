package dev.weir.runner;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.internal.TableEnvironmentInternal;
import org.apache.flink.table.operations.CreateTableASOperation;
import org.apache.flink.table.operations.Operation;
import org.apache.flink.table.operations.ReplaceTableAsOperation;

/**
 * Runs a Flink SQL script as one Flink job.
 *
 * <p>Arguments: {@code --mode streaming|batch --script <base64 UTF-8 SQL>}, or {@code --script-file <path>} (a
 * UTF-8 file readable where main() runs: the JobManager of a session cluster) in place of {@code --script}. SET statements configure the
 * table environment, other non-INSERT statements (CREATE, DROP, ALTER, USE, ...) run at once, and every INSERT (and
 * CREATE TABLE ... AS SELECT) is added to one statement set, executed at the end as a single job.
 */
public final class SqlRunner {
    private static final Pattern SET = Pattern.compile("(?is)^SET\\s+'([^']*)'\\s*=\\s*'((?:[^']|'')*)'$");
    private static final Pattern SET_BLOCK =
            Pattern.compile("(?is)^(?:EXECUTE\\s+STATEMENT\\s+SET|BEGIN\\s+STATEMENT\\s+SET)\\s+(?:BEGIN\\s+)?(.*?)\\s*END$");

    private SqlRunner() {}

    public static void main(String[] args) throws Exception {
        String mode = "streaming";
        String script = null;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--mode":
                    mode = args[i + 1];
                    break;
                case "--script":
                    script = new String(Base64.getDecoder().decode(args[i + 1]), StandardCharsets.UTF_8);
                    break;
                case "--script-file":
                    // For long scripts: Linux caps one argument at 128 KiB.
                    script = new String(Files.readAllBytes(Paths.get(args[i + 1])), StandardCharsets.UTF_8);
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (script == null) {
            throw new IllegalArgumentException("missing --script <base64 SQL> or --script-file <path>");
        }
        EnvironmentSettings settings = "batch".equals(mode)
                ? EnvironmentSettings.inBatchMode()
                : EnvironmentSettings.inStreamingMode();
        TableEnvironment env = TableEnvironment.create(settings);
        List<String> inserts = plan(env, script);
        if (inserts.isEmpty()) {
            throw new IllegalArgumentException("the script has no INSERT statement: there is nothing to run");
        }
        StatementSet set = env.createStatementSet();
        for (String insert : inserts) {
            set.addInsertSql(insert);
        }
        set.execute();
    }

    /** Applies SET and DDL statements to {@code env} and returns the INSERT (and CTAS) statements, in order. */
    static List<String> plan(TableEnvironment env, String script) {
        List<String> inserts = new ArrayList<>();
        for (Statements.Statement st : Statements.split(script)) {
            String head = st.head(1);
            Matcher set = SET.matcher(st.text);
            Matcher block = SET_BLOCK.matcher(st.text);
            if (set.matches()) {
                env.getConfig().set(set.group(1), set.group(2).replace("''", "'"));
            } else if (head.equals("INSERT")) {
                inserts.add(st.text);
            } else if (block.matches()) {
                for (Statements.Statement inner : Statements.split(block.group(1))) {
                    inserts.add(inner.text);
                }
            } else if (head.equals("SELECT") || head.equals("WITH")) {
                throw new IllegalArgumentException("line " + st.line + ": a job cannot run a bare SELECT; write "
                        + "INSERT INTO <sink table> SELECT ...");
            } else {
                // CREATE [OR REPLACE] TABLE ... AS SELECT is an insert: it joins the statement set (which creates
                // the table when it runs) instead of running as a job of its own.
                Operation op = ((TableEnvironmentInternal) env).getParser().parse(st.text).get(0);
                if (op instanceof CreateTableASOperation || op instanceof ReplaceTableAsOperation) {
                    inserts.add(st.text);
                } else {
                    ((TableEnvironmentInternal) env).executeInternal(op);
                }
            }
        }
        return inserts;
    }
}
