"""Daily values by HJ 663—2013 (环境空气质量评价技术规范), vectorised over station-days.

- A 24-hour mean (PM2.5, PM10, SO2, NO2, CO) needs at least 20 valid hours of the day.
- An O3 8-hour moving average needs at least 6 valid hours of its 8.
- The O3 daily maximum 8-hour mean is taken over the 17 windows that lie inside the day (ending 08:00 … 24:00,
  i.e. the hours starting 07:00 … 23:00); it needs at least 14 valid windows, except that a maximum above the
  GB 3095—2012 grade II limit (160 µg/m³) stands even with fewer, as the standard says.
- The O3 daily maximum 1-hour value is taken, like the 24-hour means, from a day with at least 20 valid hours.
- A 24-hour moving mean (the SO2 value a real-time AQI needs above 800 µg/m³) follows the 24-hour rule: at least 20
  valid hours of the 24 ending with the hour.

A value without enough data is NaN (stored as missing), never filled in. Hours are indexed by their start.
"""

import numpy as np

MIN_HOURS_DAY = 20
MIN_HOURS_8H = 6
MIN_WINDOWS_8H = 14
O3_8H_LIMIT = 160.0
WINDOW = 8


def _moving(values: np.ndarray, window: int, minimum: int) -> np.ndarray:
    """Means along the last axis over the ``window`` hours ending at each position, NaN where fewer than
    ``minimum`` of them are valid (NaN = invalid or missing); the first positions see fewer hours."""
    x = np.asarray(values, dtype=np.float64)
    valid = ~np.isnan(x)
    filled = np.where(valid, x, 0.0)
    pad = [(0, 0)] * (x.ndim - 1) + [(1, 0)]
    sums = np.cumsum(np.pad(filled, pad), axis=-1)
    counts = np.cumsum(np.pad(valid.astype(np.int64), pad), axis=-1)
    n = x.shape[-1]
    ends = np.arange(1, n + 1)
    starts = np.maximum(ends - window, 0)
    window_sum = sums[..., ends] - sums[..., starts]
    window_count = counts[..., ends] - counts[..., starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = window_sum / window_count
    return np.where(window_count >= minimum, mean, np.nan)


def moving_8h(values: np.ndarray) -> np.ndarray:
    """O3 8-hour moving averages along the last axis: position h averages hours h-7…h when at least 6 are valid
    (NaN = invalid or missing); the first 7 positions see fewer hours, as at the start of a series."""
    return _moving(values, WINDOW, MIN_HOURS_8H)


def moving_24h(values: np.ndarray) -> np.ndarray:
    """24-hour moving means along the last axis (the SO2 24-hour mean of a real-time report): position h averages
    hours h-23…h when at least 20 are valid, the rule of a 24-hour mean (GB 3095—2012 表4, HJ 663); neither
    standard sets a different rule for a moving 24-hour mean."""
    return _moving(values, 24, MIN_HOURS_DAY)


def day_means(hours: np.ndarray) -> np.ndarray:
    """24-hour means of a (days, 24) array, NaN where fewer than 20 hours are valid."""
    x = np.asarray(hours, dtype=np.float64)
    valid = ~np.isnan(x)
    count = valid.sum(axis=1)
    total = np.where(valid, x, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return np.where(count >= MIN_HOURS_DAY, mean, np.nan)


def day_max_1h(hours: np.ndarray) -> np.ndarray:
    x = np.asarray(hours, dtype=np.float64)
    count = (~np.isnan(x)).sum(axis=1)
    top = np.max(np.where(np.isnan(x), -np.inf, x), axis=1)
    return np.where(count >= MIN_HOURS_DAY, top, np.nan)


def day_max_8h(hours: np.ndarray) -> np.ndarray:
    """The O3 daily maximum 8-hour mean of a (days, 24) array of hourly O3."""
    windows = moving_8h(hours)[:, WINDOW - 1 :]  # the 17 windows inside the day
    valid = ~np.isnan(windows)
    count = valid.sum(axis=1)
    top = np.max(np.where(valid, windows, -np.inf), axis=1)
    keep = (count >= MIN_WINDOWS_8H) | ((count > 0) & (top > O3_8H_LIMIT))
    return np.where(keep, top, np.nan)


def daily_values(hours: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """From {pollutant: (days, 24) hourly array} to the daily columns: pm25, pm10, so2, no2, co (24-hour means),
    o3_8h (daily maximum 8-hour mean), o3_1h (daily maximum 1-hour value)."""
    out = {}
    for key in ("pm25", "pm10", "so2", "no2", "co"):
        if key in hours:
            out[key] = day_means(hours[key])
    if "o3" in hours:
        out["o3_8h"] = day_max_8h(hours["o3"])
        out["o3_1h"] = day_max_1h(hours["o3"])
    return out
