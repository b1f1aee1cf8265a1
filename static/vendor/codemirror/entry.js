// Breaking Point's editor: CodeMirror 6 with Python, line numbers and indentation; nothing else.
// The editor lives in an open shadow root: CodeMirror then mounts its styles as constructed style sheets
// (adoptedStyleSheets), which the site's CSP (style-src 'self', no inline <style>) allows.
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter, drawSelection } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { indentUnit, indentOnInput, bracketMatching, syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { python } from "@codemirror/lang-python";

function create(textarea, onRun) {
  const host = document.createElement("div");
  host.className = "cm-host";
  const shadow = host.attachShadow({ mode: "open" });
  const label = textarea.id ? document.querySelector('label[for="' + textarea.id + '"]') : null;
  const run = { key: "Mod-Enter", run: () => { if (onRun) onRun(); return true; } };
  const view = new EditorView({
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(), highlightActiveLineGutter(), highlightActiveLine(), drawSelection(), history(),
        indentOnInput(), bracketMatching(), indentUnit.of("    "), EditorState.tabSize.of(4),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }), python(),
        keymap.of([run, indentWithTab, ...defaultKeymap, ...historyKeymap]),
        EditorView.theme({
          "&": { minHeight: "22rem", maxHeight: "40rem", fontSize: "0.85rem", backgroundColor: "#fff", color: "#1f2937" },
          "&.cm-focused": { outline: "2px solid #0172ad", outlineOffset: "1px" },
          ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", lineHeight: "1.45" },
          ".cm-gutters": { backgroundColor: "#f3f4f6", color: "#4b5563", borderRight: "1px solid #d1d5db" },
        }),
        // tabindex: the content is focusable anyway (contenteditable); saying so lets checkers see that the
        // scrolling region holds something focusable.
        EditorView.contentAttributes.of({ "aria-label": label ? label.textContent.trim() : "Code editor", tabindex: "0" }),
        EditorView.updateListener.of((update) => { if (update.docChanged) textarea.value = update.state.doc.toString(); }),
      ],
    }),
    root: shadow,
  });
  shadow.appendChild(view.dom);
  textarea.hidden = true;
  textarea.after(host);
  if (label) label.addEventListener("click", () => view.focus());
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
  };
}

window.BPCodeMirror = { create };
