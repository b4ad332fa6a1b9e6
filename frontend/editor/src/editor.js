// Weir's SQL editor. Once the page is hydrated, every `textarea.sql` that has an empty `.editor-host` just
// before it gets a CodeMirror 6 editor: Flink SQL highlighting, completion of keywords, Flink functions and the
// tables and columns declared by the script's CREATE TABLE statements, and the Flink planner's errors (the
// `[data-test=sql-error]` items the page shows after Validate) marked at their line and column. The textarea
// stays in the form, hidden and kept in sync, so forms and the Leptos page work as before; without JavaScript the
// textarea is the editor.
import { Compartment, EditorState } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine, drawSelection } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from '@codemirror/language';
import { sql, SQLDialect } from '@codemirror/lang-sql';
import { autocompletion, completeFromList } from '@codemirror/autocomplete';
import { afterHydration } from '../../shared/after-hydration.js';
import { lintGutter, setDiagnostics } from '@codemirror/lint';

const FLINK_FUNCTIONS = [
  'ABS', 'AVG', 'CARDINALITY', 'CAST', 'CEIL', 'CHAR_LENGTH', 'COALESCE', 'COLLECT', 'CONCAT', 'CONCAT_WS', 'COUNT',
  'CUMULATE', 'CURRENT_DATE', 'CURRENT_TIMESTAMP', 'CURRENT_WATERMARK', 'DATE_FORMAT', 'DAYOFMONTH', 'EXTRACT',
  'FIRST_VALUE', 'FLOOR', 'FROM_UNIXTIME', 'HOP', 'IF', 'IFNULL', 'INITCAP', 'JSON_ARRAY', 'JSON_OBJECT',
  'JSON_QUERY', 'JSON_VALUE', 'LAG', 'LAST_VALUE', 'LEAD', 'LISTAGG', 'LOCALTIMESTAMP', 'LOWER', 'LPAD', 'LTRIM',
  'MAX', 'MD5', 'MIN', 'MOD', 'NOW', 'NULLIF', 'OVERLAY', 'POSITION', 'PROCTIME', 'RAND', 'REGEXP',
  'REGEXP_EXTRACT', 'REGEXP_REPLACE', 'REPLACE', 'ROUND', 'ROW_NUMBER', 'RPAD', 'RTRIM', 'SESSION', 'SHA256',
  'SPLIT_INDEX', 'STDDEV_POP', 'STR_TO_MAP', 'SUBSTR', 'SUBSTRING', 'SUM', 'TIMESTAMPADD', 'TIMESTAMPDIFF',
  'TO_DATE', 'TO_TIMESTAMP', 'TO_TIMESTAMP_LTZ', 'TRIM', 'TRY_CAST', 'TUMBLE', 'UNIX_TIMESTAMP', 'UPPER', 'UUID',
];
const FLINK_KEYWORDS = [
  'CREATE TABLE', 'CREATE TEMPORARY TABLE', 'CREATE VIEW', 'CREATE FUNCTION', 'INSERT INTO', 'INSERT OVERWRITE',
  'EXECUTE STATEMENT SET', 'WATERMARK FOR', 'PRIMARY KEY', 'NOT ENFORCED', 'PARTITIONED BY', 'WITH',
  'GROUP BY', 'ORDER BY', 'PARTITION BY', 'MATCH_RECOGNIZE', 'LATERAL TABLE', 'FOR SYSTEM_TIME AS OF', 'SET',
  "'connector'", "'format'",
];

/** Tables and their columns declared by `CREATE [TEMPORARY] TABLE name (...)` in the script. */
export function declaredSchema(text) {
  const schema = {};
  const re = /CREATE\s+(?:TEMPORARY\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?[`"]?([\w.]+)[`"]?\s*\(/gi;
  let m;
  while ((m = re.exec(text))) {
    let depth = 1;
    let i = re.lastIndex;
    const start = i;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')') depth--;
    }
    const body = text.slice(start, i - 1);
    const columns = [];
    let part = '';
    depth = 0;
    for (const ch of body + ',') {
      if (ch === '(') depth++;
      if (ch === ')') depth--;
      if (ch === ',' && depth === 0) {
        const name = part.trim().split(/\s+/)[0]?.replace(/[`"]/g, '');
        if (name && !/^(WATERMARK|PRIMARY|CONSTRAINT|PERIOD)$/i.test(name)) columns.push(name);
        part = '';
      } else {
        part += ch;
      }
    }
    schema[m[1]] = columns;
  }
  return schema;
}

// Flink SQL: standard SQL keywords plus Flink's own (DDL options, watermarks, windows, statement sets, hints).
const STANDARD_KEYWORDS =
  'absolute add after all alter and any are as asc at before begin between both by call cascade case cast ' +
  'catalog check close collate column commit condition connect constraint continue create cross cube current ' +
  'current_date current_time current_timestamp current_user cursor cycle data day declare default delete desc ' +
  'describe distinct do drop each else end escape except exists explain external fetch first for foreign from ' +
  'full function get global grant group grouping having hour if in inner insert intersect interval into is join ' +
  'key language last lateral leading left like limit local localtime localtimestamp map match minute month ' +
  'natural new next no none not null of on only or order outer over partition position primary range recursive ' +
  'references release reset return right rollup row rows second select set show some sql start system table ' +
  'temporary then to trailing union unique unnest update use user using value values view when where window ' +
  'with within year ';
const FLINK_DIALECT = SQLDialect.define({
  keywords:
    STANDARD_KEYWORDS +
    'watermark enforced statement execute modules module load unload catalogs databases tables views functions ' +
    'jars jar overwrite partitioned comment metadata virtual like including excluding options generated ' +
    'tumble hop cumulate session descriptor match_recognize measures pattern define after skip past ' +
    'system_time proctime rowtime if_not_exists compile plan stop job jobs savepoint',
  types:
    'array binary bigint boolean bytes char character date decimal double float int integer interval map multiset ' +
    'null raw real row smallint string time timestamp timestamp_ltz tinyint varbinary varchar ',
  backslashEscapes: false,
});

const language = new Compartment();
const languageFor = (doc) => sql({ dialect: FLINK_DIALECT, schema: declaredSchema(doc), upperCaseKeywords: true });
const extras = completeFromList([
  ...FLINK_FUNCTIONS.map((label) => ({ label, type: 'function' })),
  ...FLINK_KEYWORDS.map((label) => ({ label, type: 'keyword' })),
]);

const views = new Set();

function enhance(textarea) {
  const host = textarea.previousElementSibling;
  if (!host || !host.classList.contains('editor-host') || host.dataset.enhanced) return;
  host.dataset.enhanced = 'true';
  let schemaTimer;
  const view = new EditorView({
    parent: host,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        language.of(languageFor(textarea.value)),
        EditorState.languageData.of(() => [{ autocomplete: extras }]),
        autocompletion(),
        lintGutter(),
        keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
        EditorView.lineWrapping,
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          const text = update.state.doc.toString();
          textarea.value = text;
          textarea.dispatchEvent(new Event('input', { bubbles: true }));
          clearTimeout(schemaTimer);
          schemaTimer = setTimeout(() => view.dispatch({ effects: language.reconfigure(languageFor(text)) }), 300);
        }),
      ],
    }),
  });
  view.weirTextarea = textarea;
  textarea.classList.add('enhanced');
  views.add(view);
}

/** Marks the planner's errors shown on the page in the editor, at their line and column. */
function showErrors() {
  const items = [...document.querySelectorAll('[data-test="sql-error"]')];
  for (const view of views) {
    if (!view.dom.isConnected) {
      views.delete(view);
      continue;
    }
    const doc = view.state.doc;
    const diagnostics = items.map((item) => {
      const line = doc.line(Math.min(Math.max(Number(item.dataset.line) || 1, 1), doc.lines));
      const from = Math.min(line.from + Math.max((Number(item.dataset.column) || 1) - 1, 0), line.to);
      const word = /\w+/.exec(doc.sliceString(from, line.to));
      return { from, to: Math.max(from + (word && word.index === 0 ? word[0].length : 1), from), severity: 'error', message: item.textContent };
    });
    view.dispatch(setDiagnostics(view.state, diagnostics));
  }
}

function scan() {
  document.querySelectorAll('textarea.sql').forEach(enhance);
  showErrors();
}

/** Warns before an in-app link leaves a page with unsaved SQL (reloads and closing are the page's own guard). */
function guardLinks() {
  document.addEventListener(
    'click',
    (event) => {
      const link = event.target instanceof Element ? event.target.closest('a[href]') : null;
      if (!link || !document.querySelector('[data-test="unsaved"]')) return;
      const to = new URL(link.href, location.href);
      if (to.origin !== location.origin || to.pathname === location.pathname) return; // a tab of the same page
      if (!window.confirm('There is unsaved SQL in the editor. Leave this page and lose it?')) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true,
  );
}

function start() {
  guardLinks();
  scan();
  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      scan();
    });
  }).observe(document.body, { childList: true, subtree: true });
}

afterHydration(start);
