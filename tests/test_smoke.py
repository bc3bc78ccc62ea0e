def test_home_page_is_chinese_and_links_every_feature(client):
    page = client.get("/").get_data(as_text=True)
    assert "社区治理案例共享平台" in page
    assert "建设中" not in page
    for link in ("/cases", "/search", "/sessions", "/orgs/"):
        assert f'href="{link}' in page
