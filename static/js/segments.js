/* Segment builder (admin): AND/OR groups of rules drawn from the field registry.
 *
 * The registry comes from <script type="application/json" id="segment-registry"> (json_script);
 * the rules live in the form's hidden JSON field (#id_rules), which this keeps in step, so the
 * form posts them and the server validates them. Every change asks the preview URL for the live
 * count and a sample (fetch POST with the CSRF token). No inline script or style: strict CSP.
 */
(function () {
  "use strict";

  var MAX_DEPTH = 3;
  var LIST_OPERATORS = ["in", "not_in", "any", "all", "none"];

  function init() {
    var root = document.getElementById("segment-builder");
    var registryNode = document.getElementById("segment-registry");
    if (!root || !registryNode) return;
    var registry = JSON.parse(registryNode.textContent);
    var fields = {};
    registry.forEach(function (f) { fields[f.key] = f; });
    var input = document.getElementById(root.dataset.rulesInput);
    var labels = root.dataset;
    var preview = document.getElementById("segment-preview");
    var form = root.closest("form");
    var state = null;
    try { state = JSON.parse(input.value || "null"); } catch (e) { state = null; }
    if (!state || typeof state !== "object" || !Array.isArray(state.rules)) {
      state = { op: "and", rules: [] };
    }
    var row = input.closest(".form-row") || input;
    row.classList.add("segment-rules-json-hidden");

    function el(tag, attrs, children) {
      var node = document.createElement(tag);
      Object.keys(attrs || {}).forEach(function (name) {
        if (name === "text") node.textContent = attrs[name];
        else if (name === "className") node.className = attrs[name];
        else node.setAttribute(name, attrs[name]);
      });
      (children || []).forEach(function (child) { if (child) node.appendChild(child); });
      return node;
    }

    function button(text, className, onClick) {
      var b = el("button", { type: "button", className: "button " + className, text: text });
      b.addEventListener("click", function (event) { event.preventDefault(); onClick(); });
      return b;
    }

    function isGroup(node) { return node && Array.isArray(node.rules) && !node.field; }

    function shapeOf(field, operator) {
      if (!field) return "none";
      if (operator === "between") return "pair";
      if (LIST_OPERATORS.indexOf(operator) >= 0 || field.kind === "multichoice") return "list";
      if (field.kind === "date" && operator === "last_days") return "days";
      return field.kind;
    }

    function defaultValue(field, operator) {
      var shape = shapeOf(field, operator);
      if (shape === "pair") return ["", ""];
      if (shape === "list") return [];
      if (shape === "boolean") return true;
      return "";
    }

    function render() {
      root.replaceChildren(renderGroup(state, null, 1));
      sync();
    }

    function renderGroup(group, parent, depth) {
      var op = el("select", { className: "segment-group__op", "aria-label": labels.labelAnd });
      [["and", labels.labelAnd], ["or", labels.labelOr]].forEach(function (pair) {
        var option = el("option", { value: pair[0], text: pair[1] });
        if (group.op === pair[0]) option.selected = true;
        op.appendChild(option);
      });
      op.addEventListener("change", function () { group.op = op.value; sync(); });

      var tools = el("div", { className: "segment-group__tools" }, [
        op,
        button(labels.labelAddRule, "segment-add-rule", function () {
          group.rules.push({ field: "", operator: "", value: "" });
          render();
        }),
        depth < MAX_DEPTH
          ? button(labels.labelAddGroup, "segment-add-group", function () {
              group.rules.push({ op: "or", rules: [{ field: "", operator: "", value: "" }] });
              render();
            })
          : null,
        parent
          ? button(labels.labelRemove, "segment-remove", function () {
              parent.rules.splice(parent.rules.indexOf(group), 1);
              render();
            })
          : null,
      ]);
      var list = el("ol", { className: "segment-group__rules" });
      group.rules.forEach(function (child) {
        list.appendChild(
          el("li", {}, [isGroup(child) ? renderGroup(child, group, depth + 1) : renderRule(child, group)])
        );
      });
      return el("div", { className: "segment-group segment-group--depth-" + depth }, [tools, list]);
    }

    function fieldSelect(rule) {
      var select = el("select", { className: "segment-rule__field", "aria-label": labels.labelChooseField });
      select.appendChild(el("option", { value: "", text: labels.labelChooseField }));
      var groups = {};
      registry.forEach(function (f) {
        if (!groups[f.group]) {
          groups[f.group] = el("optgroup", { label: f.group });
          select.appendChild(groups[f.group]);
        }
        var option = el("option", { value: f.key, text: f.label });
        if (rule.field === f.key) option.selected = true;
        groups[f.group].appendChild(option);
      });
      select.addEventListener("change", function () {
        var field = fields[select.value];
        rule.field = select.value;
        rule.operator = field ? field.operators[0].value : "";
        rule.value = defaultValue(field, rule.operator);
        delete rule.params;
        render();
      });
      return select;
    }

    function operatorSelect(rule, field) {
      var select = el("select", { className: "segment-rule__operator" });
      field.operators.forEach(function (op) {
        var option = el("option", { value: op.value, text: op.label });
        if (rule.operator === op.value) option.selected = true;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        var before = shapeOf(field, rule.operator);
        rule.operator = select.value;
        if (shapeOf(field, rule.operator) !== before) {
          rule.value = defaultValue(field, rule.operator);
          render();
        } else {
          sync();
        }
      });
      return select;
    }

    function scalarInput(field, value, onInput) {
      var type = field.kind === "date" ? "date" : field.kind === "text" ? "text" : "number";
      var attrs = { type: type, className: "segment-rule__value", value: value == null ? "" : String(value) };
      if (field.kind === "decimal") attrs.step = "any";
      if (field.kind === "number") attrs.step = "1";
      var node = el("input", attrs);
      node.addEventListener("input", function () { onInput(node.value); });
      return node;
    }

    function typed(field, raw) {
      if (field.kind === "number" && raw !== "" && /^-?\d+$/.test(raw)) return parseInt(raw, 10);
      return raw;
    }

    function valueEditor(rule, field) {
      var shape = shapeOf(field, rule.operator);
      if (shape === "pair") {
        if (!Array.isArray(rule.value) || rule.value.length !== 2) rule.value = ["", ""];
        return el("span", { className: "segment-rule__pair" }, [
          scalarInput(field, rule.value[0], function (v) { rule.value[0] = typed(field, v); sync(); }),
          el("span", { text: " " + labels.labelAndWord + " " }),
          scalarInput(field, rule.value[1], function (v) { rule.value[1] = typed(field, v); sync(); }),
        ]);
      }
      if (shape === "list" || shape === "choice") {
        var multiple = shape === "list";
        var select = el("select", { className: "segment-rule__value" });
        if (multiple) {
          select.multiple = true;
          select.size = Math.min(6, Math.max(2, field.choices.length));
        }
        var chosen = Array.isArray(rule.value) ? rule.value.map(String) : [String(rule.value)];
        field.choices.forEach(function (choice) {
          var option = el("option", { value: choice.value, text: choice.label });
          if (chosen.indexOf(String(choice.value)) >= 0) option.selected = true;
          select.appendChild(option);
        });
        select.addEventListener("change", function () {
          var values = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
            .map(function (o) { return o.value; });
          rule.value = multiple ? values : values[0];
          sync();
        });
        return select;
      }
      if (shape === "boolean") {
        var yesNo = el("select", { className: "segment-rule__value" });
        [[true, labels.labelYes], [false, labels.labelNo]].forEach(function (pair) {
          var option = el("option", { value: String(pair[0]), text: pair[1] });
          if (rule.value === pair[0]) option.selected = true;
          yesNo.appendChild(option);
        });
        if (typeof rule.value !== "boolean") rule.value = true;
        yesNo.addEventListener("change", function () { rule.value = yesNo.value === "true"; sync(); });
        return yesNo;
      }
      if (shape === "days") {
        var days = el("input", { type: "number", min: "1", step: "1", className: "segment-rule__value", value: String(rule.value || "") });
        days.addEventListener("input", function () { rule.value = typed({ kind: "number" }, days.value); sync(); });
        return days;
      }
      return scalarInput(field, rule.value, function (v) { rule.value = typed(field, v); sync(); });
    }

    function paramsEditor(rule, field) {
      return (field.params || []).map(function (param) {
        var current = rule.params && rule.params[param.name];
        var node = el("input", {
          type: "number", min: "1", step: "1", className: "segment-rule__param",
          "aria-label": param.label, placeholder: param.label,
          value: current == null ? "" : String(current),
        });
        node.addEventListener("input", function () {
          rule.params = rule.params || {};
          if (node.value === "") delete rule.params[param.name];
          else rule.params[param.name] = typed({ kind: "number" }, node.value);
          if (!Object.keys(rule.params).length) delete rule.params;
          sync();
        });
        return el("label", { className: "segment-rule__param-label" }, [el("span", { text: param.label + " " }), node]);
      });
    }

    function renderRule(rule, parent) {
      var field = fields[rule.field];
      var parts = [fieldSelect(rule)];
      if (field) {
        if (field.operators.every(function (op) { return op.value !== rule.operator; })) {
          rule.operator = field.operators[0].value;
        }
        parts.push(operatorSelect(rule, field), valueEditor(rule, field));
        parts = parts.concat(paramsEditor(rule, field));
        if (field.help) parts.push(el("span", { className: "help segment-rule__help", text: field.help }));
      }
      parts.push(button(labels.labelRemove, "segment-remove", function () {
        parent.rules.splice(parent.rules.indexOf(rule), 1);
        render();
      }));
      return el("div", { className: "segment-rule" }, parts);
    }

    // --- Preview ---------------------------------------------------------------------------

    var timer = null;
    var inflight = null;

    function sync() {
      input.value = JSON.stringify(state);
      clearTimeout(timer);
      timer = setTimeout(loadPreview, 350);
    }

    function csrfToken() {
      var field = form && form.querySelector("input[name=csrfmiddlewaretoken]");
      return field ? field.value : "";
    }

    function showErrors(errors) {
      var list = el("ul", { className: "errorlist" });
      errors.forEach(function (text) { list.appendChild(el("li", { text: text })); });
      preview.replaceChildren(list);
    }

    function showResult(data) {
      var p = preview.dataset;
      var head = el("p", { className: "segment-preview__count" }, [
        el("span", { text: p.labelCount + " " }),
        el("strong", { text: Number(data.count).toLocaleString() }),
      ]);
      var table = el("table", { className: "segment-preview__sample" });
      table.appendChild(el("caption", { text: p.labelSample }));
      table.appendChild(el("thead", {}, [el("tr", {}, [p.labelNumber, p.labelName, p.labelCity, p.labelStore].map(function (t) {
        return el("th", { scope: "col", text: t });
      }))]));
      var body = el("tbody");
      data.sample.forEach(function (m) {
        var number = m.url ? el("a", { href: m.url, text: m.number }) : el("span", { text: m.number });
        body.appendChild(el("tr", {}, [
          el("td", {}, [number]), el("td", { text: m.name }), el("td", { text: m.city }), el("td", { text: m.store }),
        ]));
      });
      table.appendChild(body);
      preview.replaceChildren(head, table);
    }

    function loadPreview() {
      if (!preview) return;
      if (inflight) inflight.abort();
      inflight = new AbortController();
      preview.classList.add("segment-preview--loading");
      fetch(root.dataset.previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ rules: state }),
        signal: inflight.signal,
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          preview.classList.remove("segment-preview--loading");
          if (result.ok) showResult(result.data);
          else showErrors(result.data.errors || [preview.dataset.labelFailed]);
        })
        .catch(function (error) {
          if (error.name === "AbortError") return;
          preview.classList.remove("segment-preview--loading");
          showErrors([preview.dataset.labelFailed]);
        });
    }

    render();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
