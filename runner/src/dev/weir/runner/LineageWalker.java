package dev.weir.runner;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.calcite.plan.RelOptTable;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Calc;
import org.apache.calcite.rel.core.Correlate;
import org.apache.calcite.rel.core.CorrelationId;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.Match;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.SetOp;
import org.apache.calcite.rel.core.Snapshot;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.core.TableFunctionScan;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.core.Uncollect;
import org.apache.calcite.rel.core.Values;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexCorrelVariable;
import org.apache.calcite.rex.RexFieldAccess;
import org.apache.calcite.rex.RexFieldCollation;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexLocalRef;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexOver;
import org.apache.calcite.rex.RexProgram;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.rex.RexSubQuery;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.rex.RexWindow;
import org.apache.calcite.rex.RexWindowBound;
import org.apache.calcite.sql.SqlBinaryOperator;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlOperator;
import org.apache.calcite.sql.SqlPostfixOperator;
import org.apache.calcite.sql.SqlPrefixOperator;
import org.apache.calcite.sql.SqlWindowTableFunction;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.avatica.util.TimeUnit;
import org.apache.flink.table.catalog.ContextResolvedTable;
import org.apache.flink.table.planner.calcite.FlinkTypeFactory;
import org.apache.flink.table.planner.plan.nodes.calcite.WatermarkAssigner;
import org.apache.flink.table.planner.plan.schema.TableSourceTable;

/**
 * Column lineage of one query: walks the planner's raw (unoptimized) Calcite tree and maps every output column to
 * the source-table columns it comes from (OpenLineage semantics: DIRECT IDENTITY / TRANSFORMATION / AGGREGATION,
 * INDIRECT CONDITIONAL per column), and collects the columns that affect every row (INDIRECT FILTER, JOIN,
 * GROUP_BY, WINDOW, SORT). Expression descriptions are written with source column names. A node or expression it
 * cannot map raises {@link Unsupported}; a node budget and a depth limit bound the work.
 */
final class LineageWalker {
    /** Thrown for what the walker cannot map; the message is meant for the user. */
    static final class Unsupported extends RuntimeException {
        Unsupported(String message) {
            super(message);
        }
    }

    /** One source column's part in an output column (or in the whole dataset). */
    static final class Origin {
        final String table;
        final String column;
        final String type;
        final String subtype;
        final String description;

        Origin(String table, String column, String type, String subtype, String description) {
            this.table = table;
            this.column = column;
            this.type = type;
            this.subtype = subtype;
            this.description = description;
        }

        boolean direct() {
            return "DIRECT".equals(type);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Origin)) return false;
            Origin x = (Origin) o;
            return table.equals(x.table) && column.equals(x.column) && type.equals(x.type)
                    && subtype.equals(x.subtype) && description.equals(x.description);
        }

        @Override
        public int hashCode() {
            return Objects.hash(table, column, type, subtype, description);
        }
    }

    /** A column of a node's output: how to write it in a description, and where it comes from. */
    static final class Col {
        final String text;
        final Set<Origin> origins;

        Col(String text, Set<Origin> origins) {
            this.text = text;
            this.origins = origins;
        }
    }

    /** An expression being analyzed: its text, the origins whose values flow into it, the conditions on it. */
    private static final class Expr {
        final String text;
        final int prec; // operator precedence of the top of the text, for parentheses; high = atomic
        final Set<Origin> values = new LinkedHashSet<>();
        final Set<Origin> indirect = new LinkedHashSet<>();
        Col ref; // set when the expression is a plain column reference

        Expr(String text, int prec) {
            this.text = text;
            this.prec = prec;
        }
    }

    private static final int ATOMIC = 1000;
    private static final int MAX_DEPTH = 400;

    private final int budget;
    private int spent;
    private int depth;
    private final RexBuilder rexBuilder;
    /** Source tables in the order first met, by identifier. */
    final Map<String, ContextResolvedTable> sources = new LinkedHashMap<>();
    /** Columns that affect every row of the output. */
    final Set<Origin> dataset = new LinkedHashSet<>();
    private final Set<String> clashing = new HashSet<>();
    private final Map<CorrelationId, List<Col>> correlations = new LinkedHashMap<>();
    private final Map<RelNode, List<Col>> done = new IdentityHashMap<>();

    LineageWalker(RelNode root, int budget) {
        this.budget = budget;
        this.rexBuilder = root.getCluster().getRexBuilder();
        // Column names found in more than one source table are written table.column in descriptions.
        Map<String, String> seen = new LinkedHashMap<>();
        for (TableScan scan : scans(root, new ArrayList<>(), Collections.newSetFromMap(new IdentityHashMap<>()))) {
            String table = tableId(scan);
            for (String name : scan.getRowType().getFieldNames()) {
                String previous = seen.putIfAbsent(name, table);
                if (previous != null && !previous.equals(table)) clashing.add(name);
            }
        }
    }

    /** The output columns of {@code root}. */
    List<Col> columns(RelNode root) {
        return walk(root);
    }

    private List<TableScan> scans(RelNode node, List<TableScan> out, Set<RelNode> visited) {
        if (!visited.add(node)) return out;
        if (++spent > budget) throw tooLarge();
        if (node instanceof TableScan) out.add((TableScan) node);
        node.accept(new RexShuttle() {
            @Override
            public RexNode visitSubQuery(RexSubQuery sub) {
                scans(sub.rel, out, visited);
                return sub;
            }
        });
        for (RelNode input : node.getInputs()) scans(input, out, visited);
        return out;
    }

    private Unsupported tooLarge() {
        return new Unsupported("column lineage gave up: the query plan has more than " + budget + " nodes");
    }

    private static String tableId(TableScan scan) {
        TableSourceTable t = scan.getTable().unwrap(TableSourceTable.class);
        if (t != null) return t.contextResolvedTable().getIdentifier().asSummaryString();
        RelOptTable table = scan.getTable();
        return String.join(".", table.getQualifiedName());
    }

    private List<Col> walk(RelNode node) {
        List<Col> cached = done.get(node);
        if (cached != null) return cached;
        if (++spent > budget) throw tooLarge();
        if (++depth > MAX_DEPTH) {
            throw new Unsupported("column lineage gave up: the query plan is nested more than " + MAX_DEPTH + " deep");
        }
        try {
            List<Col> cols = walkNode(node);
            if (cols.size() != node.getRowType().getFieldCount()) {
                throw new Unsupported("column lineage lost track of the columns of " + node.getRelTypeName());
            }
            done.put(node, cols);
            return cols;
        } finally {
            depth--;
        }
    }

    private List<Col> walkNode(RelNode node) {
        if (node instanceof TableScan) return scan((TableScan) node);
        if (node instanceof Project) {
            Project p = (Project) node;
            List<Col> in = walk(p.getInput());
            List<Col> out = new ArrayList<>();
            List<String> names = p.getRowType().getFieldNames();
            for (int i = 0; i < names.size(); i++) {
                RexNode e = p.getProjects().get(i);
                Col c = column(eval(e, in));
                // A named column computed from nothing (PROCTIME(), CURRENT_TIMESTAMP) is written by its name.
                boolean niladic = e instanceof RexCall && ((RexCall) e).getOperands().isEmpty() && c.origins.isEmpty();
                out.add(niladic && !generated(names.get(i)) ? new Col(names.get(i), c.origins) : c);
            }
            return out;
        }
        if (node instanceof Calc) {
            Calc c = (Calc) node;
            List<Col> in = walk(c.getInput());
            RexProgram program = c.getProgram();
            if (program.getCondition() != null) {
                condition(program.expandLocalRef(program.getCondition()), in, "FILTER");
            }
            List<Col> out = new ArrayList<>();
            for (RexLocalRef ref : program.getProjectList()) out.add(column(eval(program.expandLocalRef(ref), in)));
            return out;
        }
        if (node instanceof Filter) {
            Filter f = (Filter) node;
            List<Col> in = walk(f.getInput());
            // A filter on a correlation variable is a join key (lookup / temporal join, lateral join).
            condition(f.getCondition(), in, RexUtil.containsCorrelation(f.getCondition()) ? "JOIN" : "FILTER");
            return in;
        }
        if (node instanceof Join) {
            Join j = (Join) node;
            List<Col> both = new ArrayList<>(walk(j.getLeft()));
            List<Col> right = walk(j.getRight());
            both.addAll(right);
            condition(j.getCondition(), both, "JOIN");
            return j.getJoinType().projectsRight() ? both : both.subList(0, both.size() - right.size());
        }
        if (node instanceof Correlate) {
            Correlate c = (Correlate) node;
            List<Col> left = walk(c.getLeft());
            correlations.put(c.getCorrelationId(), left);
            List<Col> out = new ArrayList<>(left);
            List<Col> right = walk(c.getRight());
            if (c.getJoinType().projectsRight()) out.addAll(right);
            return out;
        }
        if (node instanceof Aggregate) return aggregate((Aggregate) node);
        if (node instanceof SetOp) {
            List<List<Col>> branches = new ArrayList<>();
            for (RelNode input : node.getInputs()) branches.add(walk(input));
            List<Col> out = new ArrayList<>();
            List<String> names = node.getRowType().getFieldNames();
            for (int i = 0; i < names.size(); i++) {
                Set<Origin> origins = new LinkedHashSet<>();
                Set<String> texts = new LinkedHashSet<>();
                for (List<Col> b : branches) {
                    origins.addAll(b.get(i).origins);
                    texts.add(b.get(i).text);
                }
                out.add(new Col(texts.size() == 1 ? texts.iterator().next() : names.get(i), origins));
            }
            return out;
        }
        if (node instanceof Sort) {
            Sort s = (Sort) node;
            List<Col> in = walk(s.getInput());
            for (RelFieldCollation fc : s.getCollation().getFieldCollations()) {
                Col key = in.get(fc.getFieldIndex());
                String text = key.text + (fc.getDirection().isDescending() ? " DESC" : "");
                indirect(key.origins, "SORT", text);
            }
            return in;
        }
        if (node instanceof Values) {
            Values v = (Values) node;
            List<Col> out = new ArrayList<>();
            List<String> names = v.getRowType().getFieldNames();
            for (int i = 0; i < names.size(); i++) {
                String text = v.getTuples().size() == 1 ? literal(v.getTuples().get(0).get(i)) : names.get(i);
                out.add(new Col(text, new LinkedHashSet<>()));
            }
            return out;
        }
        if (node instanceof WatermarkAssigner) return walk(((WatermarkAssigner) node).getInput());
        if (node instanceof Snapshot) {
            Snapshot s = (Snapshot) node;
            List<Col> in = walk(s.getInput());
            Expr period = eval(s.getPeriod(), in);
            indirect(period.values, "JOIN", "FOR SYSTEM_TIME AS OF " + period.text);
            return in;
        }
        if (node instanceof TableFunctionScan) return tableFunction((TableFunctionScan) node);
        if (node instanceof Uncollect) {
            List<Col> in = walk(((Uncollect) node).getInput());
            Set<Origin> values = new LinkedHashSet<>();
            List<String> texts = new ArrayList<>();
            for (Col c : in) {
                values.addAll(c.origins);
                texts.add(c.text);
            }
            String text = "UNNEST(" + String.join(", ", texts) + ")";
            List<Col> out = new ArrayList<>();
            for (int i = 0; i < node.getRowType().getFieldCount(); i++) out.add(new Col(text, transformed(values, text)));
            return out;
        }
        if (node instanceof Match) {
            throw new Unsupported("column lineage does not support MATCH_RECOGNIZE (" + node.getRelTypeName() + ")");
        }
        throw new Unsupported("column lineage does not support " + node.getRelTypeName());
    }

    /** A column name the planner made up (EXPR$0, $f1). */
    private static boolean generated(String name) {
        return name.startsWith("EXPR$") || name.startsWith("$f");
    }

    private List<Col> scan(TableScan scan) {
        String table = tableId(scan);
        TableSourceTable t = scan.getTable().unwrap(TableSourceTable.class);
        if (t == null) {
            throw new Unsupported("column lineage does not support the table scan of " + table + " ("
                    + scan.getTable().getClass().getSimpleName() + ")");
        }
        sources.putIfAbsent(table, t.contextResolvedTable());
        List<String> parts = scan.getTable().getQualifiedName();
        String shortName = parts.get(parts.size() - 1);
        List<Col> out = new ArrayList<>();
        for (String name : scan.getRowType().getFieldNames()) {
            Set<Origin> o = new LinkedHashSet<>();
            o.add(new Origin(table, name, "DIRECT", "IDENTITY", name));
            out.add(new Col(clashing.contains(name) ? shortName + "." + name : name, o));
        }
        return out;
    }

    private List<Col> aggregate(Aggregate a) {
        List<Col> in = walk(a.getInput());
        List<Col> out = new ArrayList<>();
        for (int key : a.getGroupSet()) {
            Col k = in.get(key);
            indirect(k.origins, "GROUP_BY", k.text);
            out.add(k);
        }
        for (AggregateCall call : a.getAggCallList()) {
            List<String> args = new ArrayList<>();
            Set<Origin> values = new LinkedHashSet<>();
            for (int arg : call.getArgList()) {
                args.add(in.get(arg).text);
                values.addAll(in.get(arg).origins);
            }
            String name = functionName(call.getAggregation());
            String text = name + "(" + (call.isDistinct() ? "DISTINCT " : "")
                    + (args.isEmpty() && name.equals("COUNT") ? "*" : String.join(", ", args)) + ")";
            Set<Origin> origins = new LinkedHashSet<>();
            for (Origin o : values) {
                origins.add(o.direct() ? new Origin(o.table, o.column, "DIRECT", "AGGREGATION", text) : o);
            }
            if (call.filterArg >= 0) {
                Col f = in.get(call.filterArg);
                text = text + " FILTER (WHERE " + f.text + ")";
                for (Origin o : f.origins) {
                    if (o.direct()) origins.add(new Origin(o.table, o.column, "INDIRECT", "FILTER", f.text));
                }
            }
            out.add(new Col(text, origins));
        }
        return out;
    }

    private List<Col> tableFunction(TableFunctionScan scan) {
        RexCall call = (RexCall) scan.getCall();
        List<String> names = scan.getRowType().getFieldNames();
        if (call.getOperator() instanceof SqlWindowTableFunction) {
            if (scan.getInputs().size() != 1) {
                throw new Unsupported("column lineage does not support the window function " + call.getOperator().getName()
                        + " over " + scan.getInputs().size() + " inputs");
            }
            List<Col> in = walk(scan.getInput(0));
            List<String> inNames = scan.getInput(0).getRowType().getFieldNames();
            Set<Origin> time = new LinkedHashSet<>();
            List<String> args = new ArrayList<>();
            for (RexNode operand : call.getOperands()) {
                // Flink 2.x passes the table as a first operand (TABLE(#0)), 1.20 does not.
                if (operand.getClass().getSimpleName().equals("RexTableArgCall")) continue;
                if (operand.getKind() == SqlKind.DESCRIPTOR) {
                    List<String> cols = new ArrayList<>();
                    for (RexNode d : ((RexCall) operand).getOperands()) {
                        // The time column: a name literal (2.x) or an input reference (1.20).
                        int index = d instanceof RexInputRef
                                ? ((RexInputRef) d).getIndex() : inNames.indexOf(RexLiteral.stringValue(d));
                        if (index < 0) throw new Unsupported("column lineage cannot find the window column " + d);
                        cols.add(in.get(index).text);
                        time.addAll(in.get(index).origins);
                    }
                    args.add(String.join(", ", cols));
                } else {
                    Expr e = eval(operand, in);
                    args.add(e.text);
                    time.addAll(e.values);
                }
            }
            String window = call.getOperator().getName() + "(" + String.join(", ", args) + ")";
            indirect(time, "WINDOW", window);
            List<Col> out = new ArrayList<>(in);
            for (int i = in.size(); i < names.size(); i++) {
                out.add(new Col(names.get(i), transformed(time, window + " " + names.get(i))));
            }
            return out;
        }
        if (!scan.getInputs().isEmpty()) {
            throw new Unsupported("column lineage does not support the table function " + call.getOperator().getName()
                    + " over a table");
        }
        Expr e = eval(call, Collections.emptyList());
        List<Col> out = new ArrayList<>();
        for (String name : names) out.add(new Col(name, transformed(e.values, e.text)));
        return out;
    }

    /** Records the columns a condition reads as INDIRECT dataset entries of {@code subtype}. */
    private void condition(RexNode condition, List<Col> in, String subtype) {
        Expr e = eval(condition, in);
        indirect(e.values, subtype, e.text);
        indirect(e.indirect, subtype, e.text);
    }

    private void indirect(Set<Origin> origins, String subtype, String description) {
        for (Origin o : origins) {
            if (o.direct()) dataset.add(new Origin(o.table, o.column, "INDIRECT", subtype, description));
        }
    }

    /** Origins after a computation described by {@code text}: identities become transformations. */
    private static Set<Origin> transformed(Set<Origin> values, String text) {
        Set<Origin> out = new LinkedHashSet<>();
        for (Origin o : values) {
            if (!o.direct()) {
                out.add(o);
            } else {
                String subtype = o.subtype.equals("AGGREGATION") ? "AGGREGATION" : "TRANSFORMATION";
                out.add(new Origin(o.table, o.column, "DIRECT", subtype, text));
            }
        }
        return out;
    }

    private static Col column(Expr e) {
        if (e.ref != null) return e.ref;
        Set<Origin> origins = transformed(e.values, e.text);
        origins.addAll(e.indirect);
        return new Col(e.text, origins);
    }

    private Expr ref(Col c) {
        Expr e = new Expr(c.text, ATOMIC);
        e.values.addAll(c.origins);
        e.ref = c;
        return e;
    }

    private Expr eval(RexNode rex, List<Col> in) {
        if (++spent > budget) throw tooLarge();
        if (++depth > MAX_DEPTH) {
            throw new Unsupported("column lineage gave up: an expression is nested more than " + MAX_DEPTH + " deep");
        }
        try {
            return evalNode(rex, in);
        } finally {
            depth--;
        }
    }

    private Expr evalNode(RexNode rex, List<Col> in) {
        if (rex instanceof RexInputRef) return ref(in.get(((RexInputRef) rex).getIndex()));
        if (rex instanceof RexLiteral) return new Expr(literal(rex), ATOMIC);
        if (rex instanceof RexFieldAccess) {
            RexFieldAccess fa = (RexFieldAccess) rex;
            if (fa.getReferenceExpr() instanceof RexCorrelVariable) {
                CorrelationId id = ((RexCorrelVariable) fa.getReferenceExpr()).id;
                List<Col> outer = correlations.get(id);
                if (outer == null) throw new Unsupported("column lineage cannot resolve the correlation " + id);
                return ref(outer.get(fa.getField().getIndex()));
            }
            Expr base = eval(fa.getReferenceExpr(), in);
            Expr e = new Expr(base.text + "." + fa.getField().getName(), ATOMIC);
            e.values.addAll(base.values);
            e.indirect.addAll(base.indirect);
            return e;
        }
        if (rex instanceof RexSubQuery) return subQuery((RexSubQuery) rex, in);
        if (rex instanceof RexOver) return over((RexOver) rex, in);
        if (rex instanceof RexCall) return call((RexCall) rex, in);
        throw new Unsupported("column lineage does not support the expression " + rex.getClass().getSimpleName()
                + " " + rex);
    }

    private Expr subQuery(RexSubQuery sub, List<Col> in) {
        for (CorrelationId id : RelOptUtil.getVariablesUsed(sub.rel)) correlations.putIfAbsent(id, in);
        List<Col> cols = walk(sub.rel);
        List<String> operands = new ArrayList<>();
        Set<Origin> values = new LinkedHashSet<>();
        Set<Origin> indirect = new LinkedHashSet<>();
        for (RexNode operand : sub.getOperands()) {
            Expr e = eval(operand, in);
            operands.add(e.text);
            values.addAll(e.values);
            indirect.addAll(e.indirect);
        }
        List<String> texts = new ArrayList<>();
        for (Col c : cols) {
            texts.add(c.text);
            values.addAll(c.origins);
        }
        String select = "(SELECT " + String.join(", ", texts) + ")";
        String text;
        switch (sub.getKind()) {
            case EXISTS: text = "EXISTS " + select; break;
            case SCALAR_QUERY: text = select; break;
            case IN: text = paren(operands) + " IN " + select; break;
            default: text = paren(operands) + " " + sub.getOperator().getName() + " " + select;
        }
        Expr e = new Expr(text, ATOMIC);
        e.values.addAll(values);
        e.indirect.addAll(indirect);
        return e;
    }

    private static String paren(List<String> texts) {
        return texts.size() == 1 ? texts.get(0) : "(" + String.join(", ", texts) + ")";
    }

    private Expr over(RexOver over, List<Col> in) {
        List<String> args = new ArrayList<>();
        Expr e0 = new Expr("", ATOMIC);
        for (RexNode operand : over.getOperands()) {
            Expr a = eval(operand, in);
            args.add(a.text);
            e0.values.addAll(a.values);
            e0.indirect.addAll(a.indirect);
        }
        String name = functionName(over.getAggOperator());
        String text = name + "(" + (over.isDistinct() ? "DISTINCT " : "")
                + (args.isEmpty() && name.equals("COUNT") ? "*" : String.join(", ", args)) + ") OVER ("
                + window(over.getWindow(), in) + ")";
        Expr e = new Expr(text, ATOMIC);
        for (Origin o : e0.values) {
            e.values.add(o.direct() ? new Origin(o.table, o.column, "DIRECT", "AGGREGATION", text) : o);
        }
        e.indirect.addAll(e0.indirect);
        return e;
    }

    private String window(RexWindow w, List<Col> in) {
        List<String> parts = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (RexNode p : w.partitionKeys) {
            Expr k = eval(p, in);
            keys.add(k.text);
            indirect(k.values, "WINDOW", "PARTITION BY " + k.text);
        }
        if (!keys.isEmpty()) parts.add("PARTITION BY " + String.join(", ", keys));
        keys = new ArrayList<>();
        for (RexFieldCollation c : w.orderKeys) {
            Expr k = eval(c.left, in);
            keys.add(k.text + (c.getDirection().isDescending() ? " DESC" : ""));
            indirect(k.values, "WINDOW", "ORDER BY " + k.text);
        }
        if (!keys.isEmpty()) parts.add("ORDER BY " + String.join(", ", keys));
        if (w.getLowerBound() != null && !keys.isEmpty()) {
            parts.add((w.isRows() ? "ROWS" : "RANGE") + " BETWEEN " + bound(w.getLowerBound(), in) + " AND "
                    + bound(w.getUpperBound(), in));
        }
        return String.join(" ", parts);
    }

    private String bound(RexWindowBound b, List<Col> in) {
        if (b == null || b.isCurrentRow()) return "CURRENT ROW";
        String side = b.isPreceding() ? "PRECEDING" : "FOLLOWING";
        if (b.isUnbounded()) return "UNBOUNDED " + side;
        return eval(b.getOffset(), in).text + " " + side;
    }

    private Expr call(RexCall call, List<Col> in) {
        SqlOperator op = call.getOperator();
        List<RexNode> operands = call.getOperands();
        if (call.getKind() == SqlKind.SEARCH) return eval(RexUtil.expandSearch(rexBuilder, null, call), in);
        if (call.getKind() == SqlKind.CASE) {
            RexOver sum = windowedSum(call);
            if (sum != null) return over(sum, in);
            return conditional(call, in);
        }
        List<Expr> args = new ArrayList<>();
        for (RexNode operand : operands) args.add(eval(operand, in));
        String text;
        int prec = ATOMIC;
        if (call.getKind() == SqlKind.CAST) {
            text = "CAST(" + args.get(0).text + " AS " + type(call.getType()) + ")";
        } else if (call.getKind() == SqlKind.EXTRACT && args.size() == 2) {
            text = "EXTRACT(" + args.get(0).text + " FROM " + args.get(1).text + ")";
        } else if ((op instanceof SqlBinaryOperator && args.size() >= 2)
                || (args.size() == 2 && !op.getName().isEmpty() && !Character.isLetter(op.getName().charAt(0)))) {
            // Infix operators, including the datetime + and - (special operators named by their symbol).
            prec = op.getLeftPrec();
            StringBuilder b = new StringBuilder();
            boolean associative = call.getKind() == SqlKind.AND || call.getKind() == SqlKind.OR
                    || call.getKind() == SqlKind.PLUS || call.getKind() == SqlKind.TIMES;
            for (int i = 0; i < args.size(); i++) {
                Expr a = args.get(i);
                if (i > 0) b.append(' ').append(op.getName()).append(' ');
                boolean parens = a.prec < prec || (i > 0 && a.prec == prec && !associative);
                b.append(parens ? "(" + a.text + ")" : a.text);
            }
            text = b.toString();
        } else if (op instanceof SqlPrefixOperator && args.size() == 1) {
            prec = op.getLeftPrec();
            String a = args.get(0).prec < ATOMIC ? "(" + args.get(0).text + ")" : args.get(0).text;
            text = op.getName().equals("-") ? "-" + a : op.getName() + " " + a;
        } else if (op instanceof SqlPostfixOperator && args.size() == 1) {
            prec = op.getLeftPrec();
            String a = args.get(0).prec < ATOMIC ? "(" + args.get(0).text + ")" : args.get(0).text;
            text = a + " " + op.getName();
        } else if (call.getKind() == SqlKind.ITEM && args.size() == 2) {
            text = args.get(0).text + "[" + args.get(1).text + "]";
        } else if (call.getKind() == SqlKind.ROW) {
            text = "ROW(" + texts(args) + ")";
        } else {
            text = functionName(op) + "(" + texts(args) + ")";
        }
        Expr e = new Expr(text, prec);
        for (Expr a : args) {
            e.values.addAll(a.values);
            e.indirect.addAll(a.indirect);
        }
        return e;
    }

    private static String texts(List<Expr> args) {
        List<String> t = new ArrayList<>();
        for (Expr a : args) t.add(a.text);
        return String.join(", ", t);
    }

    /** CASE WHEN c THEN v ... ELSE e END: the conditions' columns are INDIRECT CONDITIONAL for the value. */
    private Expr conditional(RexCall call, List<Col> in) {
        List<RexNode> operands = call.getOperands();
        StringBuilder b = new StringBuilder("CASE");
        Expr e = new Expr("", ATOMIC);
        for (int i = 0; i < operands.size(); i++) {
            Expr a = eval(operands.get(i), in);
            boolean isCondition = i % 2 == 0 && i < operands.size() - 1;
            if (isCondition) {
                b.append(" WHEN ").append(a.text);
                for (Origin o : a.values) {
                    e.indirect.add(o.direct() ? new Origin(o.table, o.column, "INDIRECT", "CONDITIONAL", a.text) : o);
                }
                e.indirect.addAll(a.indirect);
            } else {
                b.append(i == operands.size() - 1 && i % 2 == 0 ? " ELSE " : " THEN ").append(a.text);
                e.values.addAll(a.values);
                e.indirect.addAll(a.indirect);
            }
        }
        Expr out = new Expr(b.append(" END").toString(), ATOMIC);
        out.values.addAll(e.values);
        out.indirect.addAll(e.indirect);
        return out;
    }

    /**
     * SUM(x) OVER w reaches the tree as CASE(COUNT(x) OVER w > 0, $SUM0(x) OVER w, NULL); returns the $SUM0 call
     * for that shape (described as SUM), null otherwise.
     */
    private static RexOver windowedSum(RexCall call) {
        List<RexNode> ops = call.getOperands();
        if (ops.size() != 3 || !(ops.get(1) instanceof RexOver) || !RexUtil.isNullLiteral(ops.get(2), true)) return null;
        if (!(ops.get(0) instanceof RexCall) || ops.get(0).getKind() != SqlKind.GREATER_THAN) return null;
        RexOver sum = (RexOver) ops.get(1);
        RexNode count = ((RexCall) ops.get(0)).getOperands().get(0);
        if (!(count instanceof RexOver) || ((RexOver) count).getAggOperator().getKind() != SqlKind.COUNT) return null;
        if (!sum.getAggOperator().getName().equals("$SUM0")) return null;
        return sum;
    }

    private static String functionName(SqlOperator op) {
        String name = op.getName();
        if (name.equals("$SUM0")) return "SUM";
        return name;
    }

    private static String type(RelDataType type) {
        return FlinkTypeFactory.toLogicalType(type).copy(true).asSummaryString();
    }

    /** A literal written as in SQL: 'text', 10, INTERVAL '5' SECOND, TRUE, NULL, TIMESTAMP '...'. */
    static String literal(RexNode rex) {
        if (!(rex instanceof RexLiteral)) return String.valueOf(rex);
        RexLiteral lit = (RexLiteral) rex;
        if (lit.isNull()) return "NULL";
        SqlTypeName t = lit.getType().getSqlTypeName();
        switch (t.getFamily() == null ? SqlTypeName.ANY.getFamily() : t.getFamily()) {
            case CHARACTER:
                return "'" + lit.getValueAs(String.class).replace("'", "''") + "'";
            case NUMERIC:
                return lit.getValueAs(BigDecimal.class).toPlainString();
            case BOOLEAN:
                return Boolean.TRUE.equals(lit.getValueAs(Boolean.class)) ? "TRUE" : "FALSE";
            case INTERVAL_DAY_TIME:
            case INTERVAL_YEAR_MONTH: {
                TimeUnit unit = lit.getType().getIntervalQualifier().getStartUnit();
                BigDecimal value = lit.getValueAs(BigDecimal.class);
                try {
                    return "INTERVAL '" + value.divide(unit.multiplier).stripTrailingZeros().toPlainString() + "' " + unit.name();
                } catch (ArithmeticException e) {
                    return "INTERVAL '" + value.toPlainString() + "' " + unit.name();
                }
            }
            default:
                break;
        }
        if (t == SqlTypeName.SYMBOL) return String.valueOf(lit.getValue());
        String s = lit.toString();
        int colon = s.lastIndexOf(':');
        if (colon > 0 && s.substring(colon + 1).matches("[A-Z][A-Z0-9_ (),]*")) s = s.substring(0, colon);
        switch (t) {
            case DATE: return "DATE '" + s + "'";
            case TIME: return "TIME '" + s + "'";
            case TIMESTAMP: return "TIMESTAMP '" + s + "'";
            case TIMESTAMP_WITH_LOCAL_TIME_ZONE: return "TIMESTAMP_LTZ '" + s + "'";
            default: return s;
        }
    }
}
