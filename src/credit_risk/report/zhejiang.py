"""English names and schematic positions of Zhejiang's counties, for the report's tile map.

The Chinese names and GB/T 2260 codes are :data:`credit_risk.data.synthetic.regions.COUNTIES`
(the synthetic province). This module adds, per county-level division, its name in Hanyu
Pinyin (the official romanisation, as used on road signs and by the Ministry of Civil Affairs'
English lists) and the approximate position of its seat (longitude, latitude, to about 0.05°,
entered by hand for this schematic: not survey data). The positions only *place the tiles* of
a schematic map — each county is one square, placed near its real position and next to its
neighbours — they are not boundaries and must not be read as such; the test checks the
province's extent and a few north/south and east/west orders.

No county boundary data under a licence that allows shipping it was available offline when
this was written; the schematic tile map is the fallback the report issue allows.
"""

from __future__ import annotations

__all__ = ["CITY_EN", "COUNTY_EN", "COUNTY_POSITION"]

#: Prefecture-level cities: four-digit prefix → English name.
CITY_EN: dict[str, str] = {
    "3301": "Hangzhou", "3302": "Ningbo", "3303": "Wenzhou", "3304": "Jiaxing", "3305": "Huzhou",
    "3306": "Shaoxing", "3307": "Jinhua", "3308": "Quzhou", "3309": "Zhoushan", "3310": "Taizhou",
    "3311": "Lishui",
}

#: County-level divisions: six-digit code → (English name, longitude, latitude of the seat).
_COUNTIES: dict[str, tuple[str, float, float]] = {
    # 杭州 Hangzhou
    "330102": ("Shangcheng", 120.17, 30.25), "330105": ("Gongshu", 120.14, 30.32),
    "330106": ("Xihu", 120.10, 30.25), "330108": ("Binjiang", 120.20, 30.20),
    "330109": ("Xiaoshan", 120.26, 30.18), "330110": ("Yuhang", 119.98, 30.35),
    "330111": ("Fuyang", 119.95, 30.05), "330112": ("Lin'an", 119.72, 30.23),
    "330113": ("Linping", 120.30, 30.42), "330114": ("Qiantang", 120.49, 30.32),
    "330122": ("Tonglu", 119.69, 29.79), "330127": ("Chun'an", 119.04, 29.61),
    "330182": ("Jiande", 119.28, 29.47),
    # 宁波 Ningbo
    "330203": ("Haishu", 121.45, 29.85), "330205": ("Jiangbei", 121.55, 29.92),
    "330206": ("Beilun", 121.85, 29.90), "330211": ("Zhenhai", 121.72, 29.95),
    "330212": ("Yinzhou", 121.60, 29.80), "330213": ("Fenghua", 121.41, 29.66),
    "330225": ("Xiangshan", 121.87, 29.48), "330226": ("Ninghai", 121.43, 29.29),
    "330281": ("Yuyao", 121.15, 30.04), "330282": ("Cixi", 121.27, 30.17),
    # 温州 Wenzhou
    "330302": ("Lucheng", 120.65, 28.02), "330303": ("Longwan", 120.81, 27.93),
    "330304": ("Ouhai", 120.64, 27.97), "330305": ("Dongtou", 121.16, 27.84),
    "330324": ("Yongjia", 120.69, 28.15), "330326": ("Pingyang", 120.57, 27.66),
    "330327": ("Cangnan", 120.43, 27.52), "330328": ("Wencheng", 120.09, 27.79),
    "330329": ("Taishun", 119.72, 27.56), "330381": ("Rui'an", 120.66, 27.78),
    "330382": ("Yueqing", 120.96, 28.12), "330383": ("Longgang", 120.55, 27.58),
    # 嘉兴 Jiaxing
    "330402": ("Nanhu", 120.78, 30.75), "330411": ("Xiuzhou", 120.71, 30.76),
    "330421": ("Jiashan", 120.93, 30.83), "330424": ("Haiyan", 120.95, 30.52),
    "330481": ("Haining", 120.68, 30.51), "330482": ("Pinghu", 121.02, 30.70),
    "330483": ("Tongxiang", 120.57, 30.63),
    # 湖州 Huzhou
    "330502": ("Wuxing", 120.10, 30.87), "330503": ("Nanxun", 120.42, 30.85),
    "330521": ("Deqing", 119.98, 30.54), "330522": ("Changxing", 119.91, 31.03),
    "330523": ("Anji", 119.68, 30.64),
    # 绍兴 Shaoxing
    "330602": ("Yuecheng", 120.58, 30.00), "330603": ("Keqiao", 120.49, 30.08),
    "330604": ("Shangyu", 120.87, 30.03), "330624": ("Xinchang", 120.90, 29.50),
    "330681": ("Zhuji", 120.24, 29.71), "330683": ("Shengzhou", 120.82, 29.59),
    # 金华 Jinhua
    "330702": ("Wucheng", 119.57, 29.09), "330703": ("Jindong", 119.69, 29.10),
    "330723": ("Wuyi", 119.82, 28.89), "330726": ("Pujiang", 119.89, 29.45),
    "330727": ("Pan'an", 120.45, 29.05), "330781": ("Lanxi", 119.46, 29.21),
    "330782": ("Yiwu", 120.08, 29.31), "330783": ("Dongyang", 120.24, 29.29),
    "330784": ("Yongkang", 120.05, 28.89),
    # 衢州 Quzhou
    "330802": ("Kecheng", 118.87, 28.94), "330803": ("Qujiang", 118.96, 28.98),
    "330822": ("Changshan", 118.51, 28.90), "330824": ("Kaihua", 118.41, 29.14),
    "330825": ("Longyou", 119.17, 29.03), "330881": ("Jiangshan", 118.63, 28.74),
    # 舟山 Zhoushan
    "330902": ("Dinghai", 122.11, 30.02), "330903": ("Putuo", 122.30, 29.95),
    "330921": ("Daishan", 122.20, 30.24), "330922": ("Shengsi", 122.46, 30.73),
    # 台州 Taizhou
    "331002": ("Jiaojiang", 121.44, 28.67), "331003": ("Huangyan", 121.26, 28.65),
    "331004": ("Luqiao", 121.38, 28.58), "331022": ("Sanmen", 121.38, 29.12),
    "331023": ("Tiantai", 121.03, 29.14), "331024": ("Xianju", 120.73, 28.85),
    "331081": ("Wenling", 121.39, 28.37), "331082": ("Linhai", 121.14, 28.86),
    "331083": ("Yuhuan", 121.23, 28.14),
    # 丽水 Lishui
    "331102": ("Liandu", 119.91, 28.45), "331121": ("Qingtian", 120.29, 28.14),
    "331122": ("Jinyun", 120.09, 28.66), "331123": ("Suichang", 119.28, 28.59),
    "331124": ("Songyang", 119.48, 28.45), "331125": ("Yunhe", 119.57, 28.12),
    "331126": ("Qingyuan", 119.06, 27.62), "331127": ("Jingning", 119.64, 27.97),
    "331181": ("Longquan", 119.14, 28.07),
}

#: Six-digit code → English name.
COUNTY_EN: dict[str, str] = {code: v[0] for code, v in _COUNTIES.items()}
#: Six-digit code → (longitude, latitude) of the county seat, approximate.
COUNTY_POSITION: dict[str, tuple[float, float]] = {code: (v[1], v[2]) for code, v in _COUNTIES.items()}
