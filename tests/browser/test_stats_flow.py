"""In Chromium: /stats draws its charts from /api/v1/stats with no console error (the page's
Content-Security-Policy included), the China map is drawn (its canvas has coloured pixels) and
pointing at a province shows its name and number of cases; on a phone nothing scrolls sideways."""
from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture then skips (or fails under PORTAL_REQUIRE_BROWSER=1)
    expect = None

pytestmark = pytest.mark.browser


@pytest.fixture
def library(live_server):
    factory = live_server.factory()
    _, admin = factory.user("admin@example.org", "平台管理员", admin=True)
    unit = factory.org(admin, name="花溪区社工服务中心")
    for n in range(3):
        factory.case(unit, f"贵州案例{n}", themes=("党建引领",))
    factory.case(unit, "上海案例", province="上海市", themes=("五社联动",))


def _coloured_pixels(page, selector: str) -> int:
    """Pixels of the chart's canvas that are neither transparent nor white."""
    return page.evaluate("""(selector) => {
        const canvas = document.querySelector(selector + ' canvas');
        if (!canvas) return 0;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] > 0 && (data[i] < 250 || data[i + 1] < 250 || data[i + 2] < 250)) n++;
        }
        return n;
    }""", selector)


def test_the_statistics_page_draws_its_charts_and_the_map_answers_a_pointer(live_server, context, library):
    page = context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/stats")
    for key in ("provinces", "themes", "years", "community_types", "unit_types"):
        expect(page.locator(f'[data-chart="{key}"] canvas')).to_have_count(1)
    page.wait_for_function("""() => {
        const el = document.querySelector('[data-chart="provinces"]');
        const chart = el && window.echarts.getInstanceByDom(el);
        return chart && chart.getOption().series[0].data.some((d) => d.label === '贵州省' && d.value === 3);
    }""")
    page.wait_for_timeout(300)  # the map's first frame
    assert _coloured_pixels(page, '[data-chart="provinces"]') > 5000

    # Point at Guizhou (its centre, from the map's own projection): the tooltip names it.
    x, y = page.evaluate("""() => {
        const el = document.querySelector('[data-chart="provinces"]');
        const [px, py] = window.echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0}, [106.7, 26.6]);
        const box = el.getBoundingClientRect();
        return [box.left + px, box.top + py];
    }""")
    page.mouse.move(x, y)
    tooltip = page.locator('[data-chart="provinces"] div').filter(has_text="贵州省")
    expect(tooltip.first).to_contain_text("已发布案例：3")
    assert errors == [], errors

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator('[data-chart="provinces"] canvas')).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == [], errors
