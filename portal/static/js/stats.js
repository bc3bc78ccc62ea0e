// The statistics page (/stats): draws the charts from /api/v1/stats with ECharts (vendored).
// Every chart's data is also in the table beneath it, so the page says the same without this.
(function () {
  var root = document.getElementById("stats");
  if (!root || !window.echarts || !window.fetch) return;
  var BRAND = "#0b5c7a";
  var drawn = [];

  function box(key) { return root.querySelector('[data-chart="' + key + '"]'); }

  function init(key) {
    var el = box(key);
    if (!el) return null;
    el.classList.add("chart-drawn");
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    drawn.push(chart);
    return chart;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function bars(chart, data) {
    var c = init(data.key);
    if (!c) return;
    var rows = data.rows.slice().reverse();  // the largest on top
    var horizontal = data.key !== "years";
    var labels = (horizontal ? rows : data.rows).map(function (r) { return r.label; });
    var values = (horizontal ? rows : data.rows).map(function (r) { return r.value; });
    var category = { type: "category", data: labels, axisLabel: { width: 110, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    c.setOption({
      grid: { left: horizontal ? 120 : 40, right: 20, top: 10, bottom: 30 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: [{ type: "bar", name: data.value_title, data: values, itemStyle: { color: BRAND } }]
    });
  }

  function provinces(data, geo) {
    var c = init("provinces");
    if (!c) return;
    window.echarts.registerMap("china", geo);
    var max = Math.max.apply(null, data.rows.map(function (r) { return r.value; }).concat([1]));
    c.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var label = p.data && p.data.label ? p.data.label : p.name;
          return escapeHtml(label) + "<br>" + escapeHtml(data.value_title) + "：" + (p.data ? p.data.value : 0);
        }
      },
      visualMap: { min: 0, max: max, left: 10, bottom: 10, calculable: true, inRange: { color: ["#e4edf2", BRAND] } },
      series: [{
        type: "map", map: "china", name: data.value_title, roam: false,
        emphasis: { label: { show: true } },
        data: data.rows.map(function (r) { return { name: r.map_name, label: r.label, value: r.value }; })
      }]
    });
  }

  function sessions(rows, titles) {
    var c = init("sessions");
    if (!c) return;
    var dates = rows.map(function (s) { return s.date + " " + s.title; });
    c.setOption({
      grid: { left: 50, right: 50, top: 40, bottom: 60 },
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: dates, axisLabel: { width: 120, overflow: "truncate", interval: 0, rotate: rows.length > 4 ? 30 : 0 } },
      yAxis: [{ type: "value", name: titles.participants, minInterval: 1 }, { type: "value", name: titles.provinces, minInterval: 1 }],
      series: [
        { type: "bar", name: titles.participants, data: rows.map(function (s) { return s.participants; }), itemStyle: { color: BRAND } },
        { type: "line", name: titles.provinces, yAxisIndex: 1, data: rows.map(function (s) { return s.provinces; }), itemStyle: { color: "#b3541e" } }
      ]
    });
  }

  function experts(rows, title) {
    bars(null, { key: "experts", value_title: title, rows: rows.map(function (e) { return { label: e.name, value: e.value }; }) });
  }

  function headers(sectionId) {
    return Array.prototype.map.call(document.querySelectorAll("#" + sectionId + " thead th"), function (th) { return th.textContent; });
  }

  fetch(root.getAttribute("data-api"), { headers: { Accept: "application/json" } })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      data.charts.forEach(function (chart) {
        if (!chart.rows.length) return;
        if (chart.key === "provinces") {
          fetch(root.getAttribute("data-map")).then(function (r) { return r.json(); })
            .then(function (geo) { provinces(chart, geo); });
        } else {
          bars(null, chart);
        }
      });
      if (data.sessions.length) {
        var h = headers("chart-sessions");
        sessions(data.sessions, { participants: h[2], provinces: h[3] });
      }
      if (data.experts.length) experts(data.experts, headers("chart-experts")[1]);
    });

  window.addEventListener("resize", function () { drawn.forEach(function (c) { c.resize(); }); });
})();
