package dev.weir.runner;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.calcite.rel.RelNode;
import org.apache.flink.table.catalog.Column;
import org.apache.flink.table.catalog.ContextResolvedTable;
import org.apache.flink.table.catalog.ResolvedCatalogBaseTable;
import org.apache.flink.table.operations.ModifyOperation;
import org.apache.flink.table.operations.QueryOperation;
import org.apache.flink.table.operations.SinkModifyOperation;
import org.apache.flink.table.planner.operations.PlannerQueryOperation;

/**
 * The Validator's {@code "lineage"} answer for a script's inserts: the tables they read and write (options as
 * declared, columns), and per insert its source tables, each sink column's source columns and the columns that
 * affect all rows (see {@link LineageWalker}). Any failure gives {@code {"error": "line N: ..."}} instead, never a
 * partial result. Uses planner-internal classes: only the Validator (run with the planner jar) may load it.
 */
final class Lineage {
    /** RelNodes plus RexNodes one insert may visit before lineage gives up. */
    static final int BUDGET = 200_000;

    /** One INSERT (or CTAS, or statement-set member) and the script line where it starts. */
    static final class Insert {
        final int line;
        final ModifyOperation operation;

        Insert(int line, ModifyOperation operation) {
            this.line = line;
            this.operation = operation;
        }
    }

    private Lineage() {}

    static String json(List<Insert> inserts) {
        Map<String, ContextResolvedTable> tables = new LinkedHashMap<>();
        List<String> entries = new ArrayList<>();
        for (Insert insert : inserts) {
            try {
                entries.add(insert(insert, tables));
            } catch (LineageWalker.Unsupported e) {
                return error(insert.line, e.getMessage());
            } catch (StackOverflowError e) {
                return error(insert.line, "column lineage gave up: the query is nested too deeply");
            } catch (Throwable t) {
                return error(insert.line, "column lineage failed: " + Validator.describe(t));
            }
        }
        StringBuilder b = new StringBuilder("{\"tables\":{");
        boolean first = true;
        for (Map.Entry<String, ContextResolvedTable> t : tables.entrySet()) {
            if (!first) b.append(',');
            first = false;
            b.append(str(t.getKey())).append(':').append(table(t.getValue()));
        }
        return b.append("},\"inserts\":[").append(String.join(",", entries)).append("]}").toString();
    }

    private static String error(int line, String message) {
        return "{\"error\":" + str("line " + line + ": " + message) + "}";
    }

    private static String insert(Insert insert, Map<String, ContextResolvedTable> tables) {
        if (!(insert.operation instanceof SinkModifyOperation)) {
            throw new LineageWalker.Unsupported("column lineage does not support " + insert.operation.asSummaryString());
        }
        SinkModifyOperation sink = (SinkModifyOperation) insert.operation;
        QueryOperation child = sink.getChild();
        if (!(child instanceof PlannerQueryOperation)) {
            throw new LineageWalker.Unsupported("column lineage does not support the query "
                    + child.getClass().getSimpleName());
        }
        RelNode root = ((PlannerQueryOperation) child).getCalciteTree();
        LineageWalker walker = new LineageWalker(root, BUDGET);
        List<LineageWalker.Col> cols = walker.columns(root);
        ContextResolvedTable target = sink.getContextResolvedTable();
        List<Column> written = new ArrayList<>();
        for (Column c : target.getResolvedSchema().getColumns()) {
            if (c.isPersisted()) written.add(c);
        }
        if (written.size() != cols.size()) {
            throw new LineageWalker.Unsupported("column lineage expected " + written.size()
                    + " columns for the sink, the query gives " + cols.size());
        }
        String sinkId = target.getIdentifier().asSummaryString();
        for (Map.Entry<String, ContextResolvedTable> s : walker.sources.entrySet()) tables.putIfAbsent(s.getKey(), s.getValue());
        tables.putIfAbsent(sinkId, target);

        StringBuilder b = new StringBuilder("{\"line\":").append(insert.line).append(",\"sink\":").append(str(sinkId))
                .append(",\"sources\":[");
        List<String> names = new ArrayList<>();
        for (String s : walker.sources.keySet()) names.add(str(s));
        b.append(String.join(",", names)).append("],\"columns\":[");
        for (int i = 0; i < written.size(); i++) {
            if (i > 0) b.append(',');
            Column c = written.get(i);
            b.append("{\"name\":").append(str(c.getName())).append(",\"type\":").append(str(c.getDataType().toString()))
                    .append(",\"sources\":").append(origins(cols.get(i).origins)).append('}');
        }
        return b.append("],\"dataset\":").append(origins(walker.dataset)).append('}').toString();
    }

    private static String origins(Iterable<LineageWalker.Origin> origins) {
        List<String> out = new ArrayList<>();
        for (LineageWalker.Origin o : origins) {
            out.add("{\"table\":" + str(o.table) + ",\"column\":" + str(o.column) + ",\"type\":" + str(o.type)
                    + ",\"subtype\":" + str(o.subtype) + ",\"description\":" + str(o.description) + "}");
        }
        return "[" + String.join(",", out) + "]";
    }

    private static String table(ContextResolvedTable t) {
        ResolvedCatalogBaseTable<?> table = t.getResolvedTable();
        StringBuilder b = new StringBuilder("{\"options\":{");
        boolean first = true;
        for (Map.Entry<String, String> o : new TreeMap<>(table.getOptions()).entrySet()) {
            if (!first) b.append(',');
            first = false;
            b.append(str(o.getKey())).append(':').append(str(o.getValue()));
        }
        b.append("},\"columns\":[");
        first = true;
        for (Column c : table.getResolvedSchema().getColumns()) {
            if (!first) b.append(',');
            first = false;
            b.append("{\"name\":").append(str(c.getName())).append(",\"type\":").append(str(c.getDataType().toString()))
                    .append('}');
        }
        return b.append("]}").toString();
    }

    private static String str(String s) {
        return Validator.Json.str(s);
    }
}
