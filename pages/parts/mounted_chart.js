// A plotly chart that stays on the page: the first figure is drawn, every later one updates it in
// place (Plotly.react), never unmounts it. pages/parts/mounted_chart.py says why.
//
// plotly.js itself is one classic script, loaded once per page from the app's static folder
// (window.Plotly); __PLOTLY_SRC__ is replaced with its path by mounted_chart.py.
const PLOTLY_SRC = "__PLOTLY_SRC__";

function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__alexnetPlotly) {
    window.__alexnetPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = new URL(PLOTLY_SRC, document.baseURI).href;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => {
        window.__alexnetPlotly = undefined; // a later figure tries again
        reject(new Error(`could not load plotly.js from ${script.src}`));
      };
      document.head.appendChild(script);
    });
  }
  return window.__alexnetPlotly;
}

function decode(data) {
  // the figure comes as JSON bytes (serialised once per figure on the server)
  if (data instanceof Uint8Array || data instanceof ArrayBuffer) {
    return JSON.parse(new TextDecoder().decode(data));
  }
  return typeof data === "string" ? JSON.parse(data) : data;
}

export default function ({ data, parentElement }) {
  const { figure, config } = decode(data);
  let chart = parentElement.querySelector(":scope > .mounted-chart");
  if (!chart) {
    chart = document.createElement("div");
    chart.className = "mounted-chart";
    parentElement.appendChild(chart);
  }
  // keep the space while plotly.js loads, so the page below does not jump
  chart.style.minHeight = `${(figure.layout && figure.layout.height) || 450}px`;
  chart.dataset.wanted = String(Number(chart.dataset.wanted || 0) + 1);
  const wanted = chart.dataset.wanted;
  loadPlotly()
    .then((Plotly) => {
      if (chart.dataset.wanted !== wanted) return; // a newer figure came while plotly.js loaded
      return Plotly.react(chart, {
        data: figure.data,
        layout: figure.layout,
        frames: figure.frames || [],
        config: { responsive: true, ...config },
      });
    })
    .then(() => {
      chart.dataset.drawn = wanted;
      const error = parentElement.querySelector(":scope > .mounted-chart-error");
      if (error) error.remove();
    })
    .catch((error) => {
      let note = parentElement.querySelector(":scope > .mounted-chart-error");
      if (!note) {
        note = document.createElement("p");
        note.className = "mounted-chart-error";
        parentElement.appendChild(note);
      }
      note.textContent = `This chart could not be drawn: ${error.message}. Reload the page; if it stays, restart the app (make app).`;
    });
}
