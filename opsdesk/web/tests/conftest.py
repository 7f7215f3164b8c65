def pytest_configure(config):
    config.addinivalue_line("markers", "browser: end-to-end flows in Chromium against a real server process")
