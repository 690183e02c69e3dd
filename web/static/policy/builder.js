// The rule builder of /admin/campaigns/new: conditions chosen from lists and numbers, never typed syntax.
// It edits the audience rule (docs/campaigns.md, "The rule language") as a tree, writes it as JSON into
// the form's `rule` field (validated on the server like every rule), and asks the server how many
// residents it reaches after every change (POST /admin/campaigns/audience).
(function () {
  "use strict";
  var dataNode = document.getElementById("builder-data");
  if (!dataNode) return;
  var data = JSON.parse(dataNode.textContent);
  var form = document.getElementById("campaign-form");
  var ruleField = document.getElementById("rule");
  var root = document.getElementById("builder");
  var note = document.getElementById("builder-note");
  var status = document.getElementById("count-status");
  var benefitSelect = document.getElementById("benefit");
  var restart = document.getElementById("builder-restart");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var MAX_DEPTH = 3;
  var uid = 0;

  var FIELDS = {
    age: { label: "年龄", kind: "number", unit: "岁", max: 150 },
    gender: { label: "性别", kind: "gender" },
    hukou_district: { label: "户籍所在区", kind: "place" },
    hukou_community: { label: "户籍所在居委/村委", kind: "place" },
    per_capita_income: { label: "家庭人均月收入", kind: "income", unit: "元" },
    per_capita_savings: { label: "家庭人均存款", kind: "number", unit: "元" },
    household_savings: { label: "家庭存款合计", kind: "number", unit: "元" },
    household_size: { label: "家庭人数", kind: "number", unit: "人", max: 50 },
    disability_grade: { label: "残疾等级", kind: "grade" },
    living_alone: { label: "是否独居", kind: "bool" },
    benefit: { label: "享受的待遇", kind: "benefit" },
    event: { label: "近期发生的事", kind: "event" }
  };
  var NUMBER_OPS = [["gte", "不少于"], ["lte", "不超过"], ["gt", "多于"], ["lt", "少于"], ["eq", "正好是"], ["ne", "不是"], ["between", "在…之间"]];
  var AGE_OPS = [["gte", "满（含）"], ["lt", "不满"], ["lte", "不超过"], ["gt", "超过"], ["eq", "正好是"], ["between", "在…之间（含两头）"]];
  var INCOME_OPS = [
    ["lte_standard", "不高于标准的"], ["lt_standard", "低于标准的"], ["gt_standard", "高于标准的"], ["gte_standard", "不低于标准的"],
    ["lte", "不高于（元）"], ["lt", "低于（元）"], ["gt", "高于（元）"], ["gte", "不低于（元）"]
  ];
  var GRADES = [[0, "无残疾"], [1, "一级"], [2, "二级"], [3, "三级"], [4, "四级"]];
  var districtName = {};
  data.districts.forEach(function (d) { districtName[d.code] = d.name; });
  var communityName = {};
  data.communities.forEach(function (c) { communityName[c.code] = c.name; });

  // ---- the rule as data <-> the builder's model --------------------------------------------------

  function asList(v) { return Array.isArray(v) ? v.slice() : [v]; }
  function isInt(v) { return typeof v === "number" && Math.floor(v) === v; }

  function fromRule(node) {
    if (!node || typeof node !== "object" || Array.isArray(node)) return { raw: node };
    var keys = Object.keys(node);
    if (keys.length !== 1) return { raw: node };
    var key = keys[0], v = node[key];
    if (key === "all" || key === "any") {
      if (!Array.isArray(v)) return { raw: node };
      return { group: key, children: v.map(fromRule) };
    }
    var spec = FIELDS[key];
    if (!spec) return { raw: node };
    var c = condition(key, v);
    return c || { raw: node };
  }

  function condition(field, v) {
    var kind = FIELDS[field].kind;
    if (kind === "bool") return typeof v === "boolean" ? { field: field, op: "eq", value: v } : null;
    if (kind === "gender" || kind === "place") {
      var op = "in", values = v;
      if (v && typeof v === "object" && !Array.isArray(v)) {
        var k = Object.keys(v);
        if (k.length !== 1) return null;
        op = k[0] === "eq" || k[0] === "in" ? "in" : (k[0] === "ne" || k[0] === "not_in" ? "not_in" : null);
        values = v[k[0]];
      }
      if (!op) return null;
      var names = field === "hukou_district" ? districtName : (field === "hukou_community" ? communityName : {});
      values = asList(values).map(function (x) { return names[x] || x; });
      if (kind === "gender") return values.length === 1 ? { field: field, op: op, value: values } : null;
      return { field: field, op: op, value: values };
    }
    if (kind === "benefit") {
      var bk = v && Object.keys(v);
      if (!bk || bk.length !== 1) return null;
      return { field: field, op: bk[0], value: asList(v[bk[0]]) };
    }
    if (kind === "event") {
      if (!v || typeof v !== "object") return null;
      return { field: field, op: "event", value: { kind: v.kind, within_days: v.within_days, min_amount: v.min_amount || 0 } };
    }
    if (isInt(v)) return { field: field, op: "eq", value: v };
    if (!v || typeof v !== "object" || Array.isArray(v)) return null;
    var ops = Object.keys(v).filter(function (o) { return o !== "standard"; });
    if (ops.length === 2 && v.gte !== undefined && v.lte !== undefined) return { field: field, op: "between", value: [v.gte, v.lte] };
    if (ops.length !== 1) return null;
    var out = { field: field, op: ops[0], value: v[ops[0]] };
    if (/_standard$/.test(ops[0])) out.standard = v.standard || data.standards[0];
    if (ops[0] === "in" && kind !== "grade") return null;
    return out;
  }

  function toRule(m) {
    if (m.raw !== undefined) return m.raw;
    if (m.group) {
      var kids = m.children.map(toRule).filter(function (x) { return x !== null; });
      if (!kids.length) return null;
      var g = {}; g[m.group] = kids; return g;
    }
    var out = {}, v;
    if (m.field === "living_alone") v = m.value;
    else if (m.field === "gender") v = { in: m.value };
    else if (FIELDS[m.field].kind === "place") { if (!m.value.length) return null; v = {}; v[m.op] = m.value; }
    else if (m.field === "benefit") { if (!m.value.length) return null; v = {}; v[m.op] = m.value; }
    else if (m.field === "event") v = m.value;
    else { v = {}; v[m.op] = m.value; if (m.standard) v.standard = m.standard; }
    out[m.field] = v;
    return out;
  }

  function blank(field) {
    var kind = FIELDS[field].kind;
    if (kind === "bool") return { field: field, op: "eq", value: true };
    if (kind === "gender") return { field: field, op: "in", value: ["女"] };
    if (kind === "place") return { field: field, op: "in", value: [] };
    if (kind === "benefit") return { field: field, op: "not_held", value: [] };
    if (kind === "event") return { field: field, op: "event", value: { kind: Object.keys(data.events)[0], within_days: 90, min_amount: 0 } };
    if (kind === "income") return { field: field, op: "lte_standard", value: 1, standard: data.standards[0] };
    if (kind === "grade") return { field: field, op: "in", value: [1, 2] };
    return { field: field, op: "gte", value: field === "age" ? 60 : 0 };
  }

  // ---- rendering ------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  function select(label, options, value, onchange) {
    var id = "b" + (++uid);
    var s = el("select", { id: id });
    options.forEach(function (o) {
      var opt = el("option", { value: String(o[0]), text: o[1] });
      if (String(o[0]) === String(value)) opt.selected = true;
      s.appendChild(opt);
    });
    s.addEventListener("change", function () { onchange(s.value); });
    return [el("label", { for: id, class: "visually-hidden", text: label }), s];
  }

  function number(label, value, step, onchange, max) {
    var id = "b" + (++uid);
    var i = el("input", { id: id, type: "number", min: "0", step: String(step || 1), value: value === undefined ? "" : String(value), class: "num" });
    if (max) i.setAttribute("max", String(max));
    i.addEventListener("input", function () {
      var n = step && step < 1 ? parseFloat(i.value) : parseInt(i.value, 10);
      if (!isNaN(n)) onchange(n);
    });
    return [el("label", { for: id, class: "visually-hidden", text: label }), i];
  }

  function checks(legend, options, chosen, onchange) {
    var box = el("fieldset", { class: "choices" }, [el("legend", { class: "visually-hidden", text: legend })]);
    options.forEach(function (o) {
      var id = "b" + (++uid);
      var c = el("input", { type: "checkbox", id: id, value: String(o[0]) });
      c.checked = chosen.map(String).indexOf(String(o[0])) >= 0;
      c.addEventListener("change", function () {
        var now = Array.prototype.filter.call(box.querySelectorAll("input"), function (x) { return x.checked; })
          .map(function (x) { return typeof o[0] === "number" ? parseInt(x.value, 10) : x.value; });
        onchange(now);
      });
      box.appendChild(el("span", { class: "choice" }, [c, el("label", { for: id, text: o[1] })]));
    });
    return box;
  }

  function conditionRow(m) {
    var f = FIELDS[m.field], parts = [el("span", { class: "field-name", text: f.label })];
    function add(xs) { xs.forEach(function (x) { parts.push(x); }); }
    if (f.kind === "number" || f.kind === "income" || (f.kind === "grade" && m.op !== "in")) {
      var ops = m.field === "age" ? AGE_OPS : (f.kind === "income" ? INCOME_OPS : NUMBER_OPS);
      if (f.kind === "grade") ops = [["in", "属于"]].concat(NUMBER_OPS.slice(0, 5));
      add(select(f.label + "：怎么比较", ops, m.op, function (op) {
        var was = m.op; m.op = op;
        if (op === "between") m.value = [isInt(m.value) ? m.value : 0, isInt(m.value) ? m.value : 0];
        else if (op === "in") m.value = [1, 2];
        else if (was === "between") m.value = m.value[0];
        if (/_standard$/.test(op)) { m.standard = m.standard || data.standards[0]; if (!/_standard$/.test(was)) m.value = 1; }
        else { delete m.standard; if (/_standard$/.test(was)) m.value = 0; }
        changed(true);
      }));
      if (m.op === "between") {
        add(number(f.label + "：从", m.value[0], 1, function (n) { m.value[0] = n; changed(); }, f.max));
        parts.push("到");
        add(number(f.label + "：到", m.value[1], 1, function (n) { m.value[1] = n; changed(); }, f.max));
        parts.push(f.unit || "");
      } else if (m.op === "in") {
        parts.push(checks(f.label, GRADES, m.value, function (v) { m.value = v; changed(); }));
      } else if (/_standard$/.test(m.op)) {
        add(number(f.label + "：标准的几倍", m.value, 0.01, function (n) { m.value = n; changed(); }, 10));
        parts.push("倍（");
        add(select(f.label + "：哪个标准", data.standards.map(function (s) { return [s, s + "标准"]; }), m.standard, function (s) { m.standard = s; changed(); }));
        parts.push("，按户籍所在区）");
      } else {
        add(number(f.label + "：数值", m.value, 1, function (n) { m.value = n; changed(); }, f.max));
        parts.push(f.kind === "grade" ? "级" : (f.unit || ""));
      }
    } else if (f.kind === "grade") {
      add(select(f.label + "：怎么比较", [["in", "属于"]].concat(NUMBER_OPS.slice(0, 5)), m.op, function (op) {
        m.op = op; m.value = op === "in" ? [1, 2] : 1; changed(true);
      }));
      parts.push(checks(f.label, GRADES, m.value, function (v) { m.value = v; changed(); }));
    } else if (f.kind === "gender") {
      add(select("性别", [["女", "女"], ["男", "男"]], m.value[0], function (v) { m.value = [v]; changed(); }));
    } else if (f.kind === "bool") {
      add(select("是否独居", [["true", "独自生活"], ["false", "不是独自生活"]], String(m.value), function (v) { m.value = v === "true"; changed(); }));
    } else if (f.kind === "place") {
      add(select(f.label + "：是或不是", [["in", "是下面选中的"], ["not_in", "不是下面选中的"]], m.op, function (op) { m.op = op; changed(); }));
      if (m.field === "hukou_district") {
        parts.push(checks(f.label, data.districts.map(function (d) { return [d.name, d.name]; }), m.value, function (v) { m.value = v; changed(); }));
      } else {
        var id = "b" + (++uid);
        var s = el("select", { id: id, multiple: "multiple", size: "6", class: "places" });
        var groups = {};
        data.communities.forEach(function (c) {
          var g = groups[c.district] || (groups[c.district] = s.appendChild(el("optgroup", { label: c.district })));
          var o = el("option", { value: c.name, text: c.name });
          o.selected = m.value.indexOf(c.name) >= 0;
          g.appendChild(o);
        });
        s.addEventListener("change", function () {
          m.value = Array.prototype.filter.call(s.options, function (o) { return o.selected; }).map(function (o) { return o.value; })
            .filter(function (v, i, a) { return a.indexOf(v) === i; });
          changed();
        });
        parts.push(el("label", { for: id, class: "visually-hidden", text: f.label + "（可多选，按住 Ctrl 键点选）" }), s);
      }
    } else if (f.kind === "benefit") {
      add(select("享受的待遇：正在享受还是没有享受", [["not_held", "下面选中的都没有享受"], ["held", "正在享受下面选中的任意一项"]], m.op, function (op) { m.op = op; changed(); }));
      parts.push(checks("待遇", data.benefits.map(function (b) { return [b, b]; }), m.value, function (v) { m.value = v; changed(); }));
    } else if (f.kind === "event") {
      parts.push("近");
      add(number("近几天内", m.value.within_days, 1, function (n) { m.value.within_days = n; changed(); }, 3650));
      parts.push("天内，发生了");
      add(select("发生了什么事", Object.keys(data.events).map(function (k) { return [k, data.events[k]]; }), m.value.kind, function (k) { m.value.kind = k; changed(); }));
      parts.push("，金额不少于");
      add(number("金额不少于多少元", m.value.min_amount, 1, function (n) { m.value.min_amount = n; changed(); }));
      parts.push("元（不看金额就填 0）");
    }
    return el("div", { class: "condition" }, parts);
  }

  function fieldMenu() {
    return Object.keys(FIELDS).map(function (k) { return [k, FIELDS[k].label]; });
  }

  function renderNode(m, parent, depth) {
    if (m.raw !== undefined) {
      return el("div", { class: "condition raw" }, [
        el("span", { text: "一条复杂的条件（只能由管理员在“规则原文”里修改）：" }), el("code", { text: JSON.stringify(m.raw) })
      ]);
    }
    if (!m.group) return conditionRow(m);
    var box = el("div", { class: "group depth" + depth });
    var head = el("div", { class: "group-head" }, []);
    select("这一组条件怎么算", [["all", "下面的条件全部都要满足"], ["any", "下面的条件满足任意一条就行"]], m.group, function (g) { m.group = g; changed(); })
      .forEach(function (x) { head.appendChild(x); });
    box.appendChild(head);
    var list = el("ul", { class: "conditions" });
    m.children.forEach(function (child, i) {
      var li = el("li", {}, [renderNode(child, m, depth + 1)]);
      var remove = el("button", { type: "button", class: "remove", text: "删除这条" });
      remove.addEventListener("click", function () { m.children.splice(i, 1); changed(true); });
      li.appendChild(remove);
      list.appendChild(li);
    });
    if (!m.children.length) list.appendChild(el("li", { class: "muted", text: "（还没有条件，请在下面添加）" }));
    box.appendChild(list);
    var foot = el("div", { class: "group-foot" });
    var picked = { v: "age" };
    var menu = select("要添加的条件", fieldMenu(), "age", function (v) { picked.v = v; });
    menu[0].className = "";
    menu[0].textContent = "添加条件：";
    menu.forEach(function (x) { foot.appendChild(x); });
    var addButton = el("button", { type: "button", class: "add", text: "添加" });
    addButton.addEventListener("click", function () { m.children.push(blank(picked.v)); changed(true); });
    foot.appendChild(addButton);
    if (depth < MAX_DEPTH) {
      var sub = el("button", { type: "button", class: "add-group", text: "添加一组“满足任意一条”的条件" });
      sub.addEventListener("click", function () { m.children.push({ group: "any", children: [] }); changed(true); });
      foot.appendChild(sub);
    }
    box.appendChild(foot);
    return box;
  }

  // ---- state, counting ------------------------------------------------------------------------

  var model = { group: "all", children: [] };
  var edited = false;
  var timer = null;
  var asked = 0;

  function load(rule) {
    model = fromRule(rule);
    if (!model.group) model = { group: "all", children: [model] };
  }

  function render() {
    var focusId = document.activeElement && root.contains(document.activeElement) ? document.activeElement.id : null;
    root.textContent = "";
    uid = 0;
    root.appendChild(renderNode(model, null, 1));
    if (focusId && document.getElementById(focusId)) document.getElementById(focusId).focus();
  }

  function writeRule() {
    var rule = toRule(model);
    ruleField.value = rule === null ? "" : JSON.stringify(rule, null, 2);
  }

  function changed(structure) {
    edited = true;
    writeRule();
    if (structure) render();
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(count, 350);
  }

  function show(counts) {
    Object.keys(counts).forEach(function (k) {
      var b = document.querySelector("#count-" + k + " b");
      if (b) b.textContent = String(counts[k]);
    });
  }

  function count(text) {
    var rule = text === undefined ? ruleField.value : text;
    if (!rule.trim()) {
      status.textContent = "请至少添加一个条件。";
      return Promise.resolve(null);
    }
    var mine = ++asked;
    status.textContent = "正在计算人数…";
    return fetch(form.getAttribute("data-count-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify({
        rule: rule,
        benefit: benefitSelect.value,
        template_id: document.getElementById("template_id").value,
        campaign_id: form.hasAttribute("data-campaign-id") ? Number(form.getAttribute("data-campaign-id")) : null
      })
    }).then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (mine !== asked) return null;
        if (!res.ok) {
          status.textContent = (res.body.errors || [res.body.message || "人数算不出来，请检查条件。"]).join("；");
          return null;
        }
        show(res.body.counts);
        status.textContent = "共 " + res.body.counts.matched + " 人符合条件，其中 " + res.body.counts.reachable + " 人能收到推送。";
        return res.body;
      })
      .catch(function () { if (mine === asked) status.textContent = "人数暂时算不出来，请稍后再试。"; return null; });
  }

  function startFrom(benefit) {
    var e = data.eligibility[benefit];
    if (e) {
      load(e.rule);
      note.textContent = "已按后台规定的“" + benefit + "”申请条件填好：" + e.summary + "。可以增加条件，或把数字改得更严。";
    } else {
      model = { group: "all", children: [] };
      note.textContent = benefit ? "后台没有“" + benefit + "”的申请条件，请自己添加条件。" : "";
    }
    edited = false;
    restart.hidden = true;
    writeRule();
    render();
    schedule();
  }

  benefitSelect.addEventListener("change", function () {
    if (!edited || !ruleField.value.trim()) { startFrom(benefitSelect.value); return; }
    restart.hidden = !benefitSelect.value;
    restart.textContent = "改用“" + benefitSelect.value + "”的申请条件重新开始（会替换上面的条件）";
    schedule();
  });
  restart.addEventListener("click", function () { startFrom(benefitSelect.value); });
  document.getElementById("template_id").addEventListener("change", schedule);

  var applyRaw = document.getElementById("apply-raw");
  if (applyRaw) {
    applyRaw.addEventListener("click", function () {
      count(ruleField.value).then(function (body) {
        if (!body) return;
        load(body.rule);
        edited = true;
        render();
      });
    });
  }

  if (data.rule) load(data.rule);
  render();
  if (data.rule) schedule();
  else status.textContent = "请先选择要告知的待遇，再调整条件。";
})();
